// A training run's configuration: everything config.json records, complete once planned
// (train/plan.hpp). The loop is TrainingRun (training_run.hpp); the validation split
// (data/split.hpp), the time budget (time_budget.hpp) and TensorBoard's events file
// (train/event_file.hpp) have files of their own.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/schedule.hpp"
#include "train/sgd.hpp"

namespace alexnet {

struct TrainConfig {
  std::string arch = "alexnet-mini";
  std::string data, val, out, data_kind = "auto", stats;
  int epochs = 0;
  int batch = 128;
  SgdConfig sgd;
  float dropout = 0.5f;
  float label_smoothing = 0;  // the loss's target: (1 - e) onehot + e / classes (0: the paper's)
  // The weights evaluated and kept: an exponential moving average with this decay per step
  // (train/weight_average.hpp; 0: the weights SGD holds, the paper's).
  float ema = 0;
  std::string init;  // paper | kaiming
  // Fine-tuning: start from these trained weights (their architecture, their normalisation
  // unless --stats; the classifier re-initialised when the classes differ).
  std::string init_from;
  std::string freeze;        // fine-tuning: layers without learning, "conv1-conv5" or "conv1,conv2"
  std::string reinit;        // fine-tuning: layers initialised afresh instead of copied, "conv4-fc8"
  float lr_mult_new = 1.f;   // fine-tuning: lr multiplier of the layers re-initialised (new classes, --reinit)
  std::vector<std::string> new_params;  // those layers' parameters (an amendment of the run)
  uint64_t seed = 1;
  int threads = 0, workers = 1;
  // Several processes (mpirun): how the gradient reductions move while the backward computes
  // (parallel/comm.hpp). A property of the machines, like threads: --resume may change it.
  std::string comm_progress = "thread";
  // Several processes: data (every layer data-parallel, the gradients allreduced) | hybrid (the
  // convolutions data-parallel, fc6-fc8 model-parallel: layers/exchange.hpp) | auto (hybrid when
  // every rank can own neurons of each fc layer, else data: hybrid was the faster at every link
  // rate measured, docs/distributed.md). Checkpoints are the same either way, so --resume may
  // change it too.
  std::string parallel = "auto";
  ScheduleConfig schedule;
  int64_t checkpoint_every = 0;  // steps; 0 = once per epoch
  int64_t print_every = 100;
  int64_t stuck_steps = 300;
  bool strict = false;
  bool pca = true, flip = true;
  int64_t limit = 0;          // use only the first N training samples (quick runs, tests)
  int64_t val_limit = 0;
  // Without --val: this share of the training set, stratified, is held out for validation
  // (5,000 of Fashion-MNIST's 60,000); 0 validates on nothing (best = lowest training error).
  double val_split = 1.0 / 12;
  // --time-budget: wall seconds the training may take (0: none); the epochs that fit are planned
  // once, before the first step, and kept in planned_epochs (so a resumed run keeps the plan).
  // The epochs are then re-planned after every epoch from the pace measured (train/time_budget.hpp),
  // never beyond max_epochs (--epochs, or the architecture's default).
  double time_budget_s = 0;
  int planned_epochs = 0, max_epochs = 0;
  // Tests: re-plan as if every epoch took this many seconds (0: the clock).
  double simulate_epoch_seconds = 0;
  // The changes made to the plan once the data and network existed, each {"change", "why"}.
  nlohmann::json amendments = nlohmann::json::array();
  int64_t kill_after_steps = 0;  // tests: the last rank SIGKILLs itself after this global step
};

nlohmann::json to_json(const TrainConfig& c);
TrainConfig train_config_from_json(const nlohmann::json& j);

}  // namespace alexnet
