// One training run (docs/spec.md §3), as llm.c keeps its loop: set up (data, transform, network,
// or the state of a killed run), then for each epoch: steps of forward, loss, backward, SGD;
// then validate, adjust the lr, keep the best weights, checkpoint, log.
//
// Everything a run needs to continue exactly after a kill lives in RUN_DIR: config.json (the
// full configuration, the validation split's fraction and the planned epochs included),
// checkpoint.safetensors (weights, momenta, position, schedule), best.safetensors (plain
// weights, best validation top-1), metrics.jsonl and TensorBoard's events file (the logs).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "data/transform.hpp"
#include "layers/softmax_xent.hpp"
#include "model/network.hpp"
#include "formats/weights.hpp"
#include "train/schedule.hpp"
#include "train/plan.hpp"
#include "train/train_config.hpp"

namespace alexnet {

class Comm;
class Loader;
struct Batch;
class EventWriter;
class Progress;
class StuckWatch;

class TrainingRun {
 public:
  explicit TrainingRun(TrainPlan plan);
  ~TrainingRun();
  int run();  // 0, or 1 when the loss diverged

 private:
  // Sums over one epoch (this process's steps; loss and top-1 over the global batches).
  struct EpochTotals {
    double start = 0, data_wait = 0;
    int64_t steps = 0, skipped = 0;
    std::vector<std::string> skipped_names;
  };

  void open_data();
  void make_transform();
  void start_or_resume();
  void plan_time_budget();
  void amend_plan(const nlohmann::json& change, const std::string& why);
  void start_from_weights();
  void make_update_ranges();
  bool run_epoch();  // false: the loss diverged
  bool train_step(Batch& b, EpochTotals& t, float lr);
  void show_progress(const EpochTotals& t, float lr);
  void end_epoch(EpochTotals& t);
  double validate(nlohmann::json& rec);
  void log(const nlohmann::json& rec);
  void save(int64_t epoch, int64_t step);

  TrainConfig cfg_;
  bool resume_;
  std::string cfg_path_, ckpt_path_, log_path_, best_path_;
  Comm& cm_;
  bool leader_;
  const ArchSpec& arch_;
  LrSchedule schedule_;
  std::unique_ptr<Dataset> train_set_, val_set_;
  int classes_ = 0;
  TransformConfig tf_;
  ModelInfo info_;
  std::unique_ptr<Network> net_;
  std::unique_ptr<LoadedModel> source_;  // --init-from's weights, freed once set up
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<EventWriter> events_;
  SoftmaxCrossEntropy xent_;
  std::vector<ParamRange> ranges_;  // what the SGD step updates, with lr multipliers

  // Where the run stands (what checkpoints save).
  int64_t epoch_ = 0, step_ = 0, global_step_ = 0, steps_per_epoch_ = 0;
  double epoch_loss_ = 0, best_error_ = 2;
  int64_t epoch_correct_ = 0, epoch_seen_ = 0;

  // This process's bookkeeping.
  double run_start_ = 0;
  int64_t steps_this_run_ = 0;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<StuckWatch> stuck_;
};

// Runs (or resumes) a planned run. Returns the exit code: 0, or 1 when the loss diverged
// (NaN or infinite).
int run_training(TrainPlan plan);

}  // namespace alexnet
