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

#include "layers/softmax_xent.hpp"
#include "model/network.hpp"
#include "formats/weights.hpp"
#include "infer/evaluate.hpp"
#include "train/checkpoint.hpp"
#include "train/epoch_report.hpp"
#include "train/hybrid_sync.hpp"
#include "train/plan.hpp"
#include "train/progress.hpp"
#include "train/run_data.hpp"
#include "train/run_log.hpp"
#include "train/schedule.hpp"
#include "train/sgd.hpp"
#include "train/train_config.hpp"
#include "train/weight_average.hpp"

namespace alexnet {

class Comm;
class Loader;
struct Batch;

// What a program embedding a run (the Python module, the C++ API, the command's test flags)
// may watch and stop. All are called on the training thread; on_record and stop by the leader
// only.
struct RunHooks {
  // Each record metrics.jsonl gets (epochs, steps every --print-every), and also a step
  // record every `step_every` steps when that is > 0.
  std::function<void(const nlohmann::json&)> on_record;
  int step_every = 0;
  // Asked after each step: true stops the run at a clean point, a checkpoint of where it
  // stands written first, so that --resume continues it exactly.
  std::function<bool()> stop;
  // After each step, on every rank, with the global step's number (tests kill a run here).
  std::function<void(int64_t global_step)> after_step;
};

// run()'s outcomes, also the command's exit codes.
constexpr int kRunDone = 0, kRunDiverged = 1, kRunStopped = 130;

class TrainingRun {
 public:
  explicit TrainingRun(TrainPlan plan, RunHooks hooks = {});
  ~TrainingRun();
  int run();  // kRunDone, kRunDiverged or kRunStopped

 private:
  // What this process shows and watches while it trains.
  struct Watch {
    std::unique_ptr<Progress> progress;
    std::unique_ptr<StuckWatch> stuck;
    double run_start = 0;
    int64_t steps_this_run = 0;
  };

  void open_data();
  void start_from_weights(const LoadedModel& source);
  void amend_plan(const nlohmann::json& change, const std::string& why, int after_epoch = 0);
  void plan_time_budget();
  void replan_time_budget(double epoch_seconds);
  double budget_used() const;
  void start_or_resume(bool resume);
  int run_epoch();  // kRunDone at the epoch's end, or why it ended early
  bool stop_requested();
  bool train_step(Batch& b, EpochTotals& t, float lr);
  void forward_loss(Batch& b, double sums[3]);
  void after_step(double loss, float lr, EpochTotals& t);
  void show_progress(const EpochTotals& t, float lr);
  void end_epoch(EpochTotals& t);
  double keep_best(nlohmann::json& rec);
  double validate(nlohmann::json& rec);
  EvalResult evaluate_val();  // every rank's shard of the validation set, summed
  void save(int64_t epoch, int64_t step);
  bool leader() const;
  int classes() const { return data_.train->classes(); }
  const ArchSpec& arch() const { return net_->arch(); }
  int64_t steps_per_epoch() const;

  TrainConfig cfg_;
  Comm& cm_;
  LrSchedule schedule_;
  RunData data_;
  ModelInfo info_;  // what travels with the weights (classes, normalisation)
  std::unique_ptr<Network> net_;
  std::unique_ptr<WeightAverage> ema_;  // --ema: the weights evaluated and kept
  std::unique_ptr<Loader> loader_;
  std::vector<ParamRange> ranges_;  // what the SGD step updates, with lr multipliers
  SoftmaxCrossEntropy xent_;
  HybridSync hybrid_;
  RunLog log_;
  RunPosition pos_;  // where the run stands: what checkpoints save
  Watch watch_;
  RunHooks hooks_;
};

// Runs (or resumes) a planned run. Returns the exit code: kRunDone, kRunDiverged when the loss
// became NaN or infinite, or kRunStopped when hooks.stop asked.
int run_training(TrainPlan plan, RunHooks hooks = {});

}  // namespace alexnet
