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
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.hpp"
#include "data/transform.hpp"
#include "layers/softmax_xent.hpp"
#include "model/network.hpp"
#include "formats/weights.hpp"
#include "infer/evaluate.hpp"
#include "train/schedule.hpp"
#include "train/plan.hpp"
#include "train/train_config.hpp"
#include "train/weight_average.hpp"

namespace alexnet {

class Comm;
class Loader;
struct Batch;
class EventWriter;
class Progress;
class StuckWatch;

// What a program embedding a run (the Python module) may watch and stop. Both are called on the
// training thread, by the leader only.
struct RunHooks {
  // Each record metrics.jsonl gets (epochs, steps every --print-every), and also a step
  // record every `step_every` steps when that is > 0.
  std::function<void(const nlohmann::json&)> on_record;
  int step_every = 0;
  // Asked after each step: true stops the run at a clean point, a checkpoint of where it
  // stands written first, so that --resume continues it exactly.
  std::function<bool()> stop;
};

// run()'s outcomes, also the command's exit codes.
constexpr int kRunDone = 0, kRunDiverged = 1, kRunStopped = 130;

class TrainingRun {
 public:
  explicit TrainingRun(TrainPlan plan, RunHooks hooks = {});
  ~TrainingRun();
  int run();  // kRunDone, kRunDiverged or kRunStopped

 private:
  // Sums over one epoch (this process's steps; loss and top-1 over the global batches).
  struct EpochTotals {
    double start = 0, data_wait = 0;
    double step_seconds = 0;  // in train_step: compute, and waiting for the other ranks
    int64_t steps = 0, skipped = 0;
    std::vector<std::string> skipped_names;
  };

  void open_data();
  void make_transform();
  void start_or_resume();
  void plan_time_budget();
  void replan_time_budget(double epoch_seconds);
  double budget_used() const;
  void amend_plan(const nlohmann::json& change, const std::string& why);
  void start_from_weights();
  ModelSplit model_split() const;
  void share_parts();
  void make_update_ranges();
  int run_epoch();  // kRunDone at the epoch's end, or why it ended early
  bool stop_requested();
  bool train_step(Batch& b, EpochTotals& t, float lr);
  void show_progress(const EpochTotals& t, float lr);
  void end_epoch(EpochTotals& t);
  double validate(nlohmann::json& rec);
  EvalResult evaluate_val();  // every rank's shard of the validation set, summed
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
  std::unique_ptr<WeightAverage> ema_;  // --ema: the weights evaluated and kept
  std::unique_ptr<LoadedModel> source_;  // --init-from's weights, freed once set up
  std::unique_ptr<Loader> loader_;
  std::unique_ptr<EventWriter> events_;
  SoftmaxCrossEntropy xent_;
  std::vector<ParamRange> ranges_;  // what the SGD step updates, with lr multipliers
  bool parts_shared_ = true;        // hybrid: every rank holds all of the fc parameters

  // Where the run stands (what checkpoints save).
  int64_t epoch_ = 0, step_ = 0, global_step_ = 0, steps_per_epoch_ = 0;
  double epoch_loss_ = 0, best_error_ = 2;
  int64_t epoch_correct_ = 0, epoch_seen_ = 0;

  double budget_used_before_ = 0;  // seconds of --time-budget used before this process resumed
  std::vector<double> recent_epoch_seconds_;  // the last three epochs' (the re-plans' pace)

  // This process's bookkeeping.
  double run_start_ = 0;
  int64_t steps_this_run_ = 0;
  std::unique_ptr<Progress> progress_;
  std::unique_ptr<StuckWatch> stuck_;
  RunHooks hooks_;
};

// Runs (or resumes) a planned run. Returns the exit code: kRunDone, kRunDiverged when the loss
// became NaN or infinite, or kRunStopped when hooks.stop asked.
int run_training(TrainPlan plan, RunHooks hooks = {});

}  // namespace alexnet
