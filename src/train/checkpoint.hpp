// A training checkpoint: one safetensors file with the weights (the names of docs/spec.md §1), the momenta
// ("momentum/<name>"), the weights' moving average if the run keeps one ("average/<name>") and, in the metadata, the model info and the run's state as JSON (epoch,
// step, lr, schedule, seed, running sums). Written atomically: a run killed at any moment
// leaves the previous complete checkpoint in place.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "formats/weights.hpp"

namespace alexnet {

// `average`: the run's moving average of the weights (--ema), num_params() floats kept as
// "average/<name>", or null.
void save_checkpoint(const std::string& path, Network& net, const ModelInfo& info,
                     const nlohmann::json& state, const float* average = nullptr);
// Loads weights and momenta into `net` (which must have the checkpoint's architecture and
// classes), and the average into `average` when given, and returns the state.
nlohmann::json load_checkpoint(const std::string& path, Network& net, float* average = nullptr);
// Reads only the metadata (to build the right network before loading).
ModelInfo peek_checkpoint(const std::string& path, nlohmann::json* state);

// Where a run stood when the checkpoint was written: the state's fields a resume continues from.
struct RunPosition {
  int64_t epoch = 0, step = 0, global_step = 0;  // epochs done, steps into the next, steps in all
  double epoch_loss = 0;                         // the running sums of the epoch under way
  int64_t epoch_correct = 0, epoch_seen = 0;
  double best_error = 2;
  nlohmann::json schedule;  // LrSchedule::state()
  int epochs = 0;           // the plan as it stood (0: older checkpoints, the config's)
  double budget_used_s = 0;
  std::vector<double> recent_epoch_seconds;  // the time budget's pace (train/time_budget.hpp)
  uint64_t log_bytes = 0;   // metrics.jsonl's length then: what a killed run wrote after is dropped
};
nlohmann::json to_json(const RunPosition& p);
// UserError naming `path` when a field is missing, of the wrong type or out of range.
RunPosition run_position(const nlohmann::json& state, const std::string& path);

}  // namespace alexnet
