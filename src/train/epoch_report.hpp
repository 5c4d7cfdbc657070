// What an epoch of training reports: its sums (steps, time, files skipped), the record it adds
// to metrics.jsonl, and under mpirun where each step's time went.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/checkpoint.hpp"

namespace alexnet {

class Comm;

// Sums over one epoch: this process's steps; loss and top-1 (in RunPosition) over global batches.
struct EpochTotals {
  double start = 0, data_wait = 0;
  double step_seconds = 0;  // in the training step: compute, and waiting for the other ranks
  int64_t steps = 0, skipped = 0;
  std::vector<std::string> skipped_names;  // the first 20
  void add_skipped(const std::vector<std::string>& files);
};

// The epoch's record (train loss and top-1 error, lr, speed, files skipped); `train_seconds`
// since the epoch started. Under mpirun the skipped files are first summed over the ranks
// (collective) and the record says where a step's time went.
nlohmann::json epoch_record(const RunPosition& pos, EpochTotals& t, double lr, int batch, double train_seconds,
                            Comm& cm, bool hybrid);

// The epoch's line: training loss and error, and the validation's when the record has them.
void print_epoch(const nlohmann::json& rec, int epochs, double elapsed_seconds);

// The files that did not decode this epoch, to stderr (leader) and into the record.
void report_skipped(const EpochTotals& t, int64_t epoch, bool leader, nlohmann::json& rec);

}  // namespace alexnet
