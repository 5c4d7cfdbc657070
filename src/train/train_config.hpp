// A training run's configuration: everything config.json records, complete once planned
// (train/plan.hpp). The loop is TrainingRun (training_run.hpp); the validation split
// (data/split.hpp), the time budget (time_budget.hpp) and TensorBoard's events file
// (train/event_file.hpp) have files of their own.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/arch.hpp"
#include "parallel/comm.hpp"
#include "train/schedule.hpp"
#include "train/sgd.hpp"

namespace alexnet {

// What is trained on, and how each sample is read and augmented.
struct DataConfig {
  std::string data, val, data_kind = "auto", stats;
  int64_t limit = 0;          // use only the first N training samples (quick runs, tests)
  int64_t val_limit = 0;
  // Without --val: this share of the training set, stratified, is held out for validation
  // (5,000 of Fashion-MNIST's 60,000); 0 validates on nothing (best = lowest training error).
  double val_split = 1.0 / 12;
  bool strict = false;
  bool pca = true, flip = true;
};

// What keeps the network from fitting its training set alone.
struct Regularization {
  float dropout = 0.5f;
  float label_smoothing = 0;  // the loss's target: (1 - e) onehot + e / classes (0: the paper's)
  // The weights evaluated and kept: an exponential moving average with this decay per step
  // (train/weight_average.hpp; 0: the weights SGD holds, the paper's).
  float ema = 0;
};

// Fine-tuning: start from these trained weights (their architecture, their normalisation
// unless --stats; the classifier re-initialised when the classes differ).
struct FineTuneConfig {
  std::string init_from;
  std::string freeze;        // layers without learning, "conv1-conv5" or "conv1,conv2"
  std::string reinit;        // layers initialised afresh instead of copied, "conv4-fc8"
  float lr_mult_new = 1.f;   // lr multiplier of the layers re-initialised (new classes, --reinit)
  std::vector<std::string> new_params;  // those layers' parameters (an amendment of the run)
};

// --time-budget: wall seconds the training may take (0: none); the epochs that fit are planned
// once, before the first step, and kept in planned_epochs (so a resumed run keeps the plan).
// The epochs are then re-planned after every epoch from the pace measured (train/time_budget.hpp),
// never beyond max_epochs (--epochs, or the architecture's default).
struct BudgetConfig {
  double time_budget_s = 0;
  int planned_epochs = 0, max_epochs = 0;
  double simulate_epoch_seconds = 0;  // tests: re-plan as if every epoch took this many seconds
};

// Several processes: data (every layer data-parallel, the gradients allreduced) | hybrid (the
// convolutions data-parallel, fc6-fc8 model-parallel: layers/exchange.hpp) | auto (hybrid when
// every rank can own neurons of each fc layer, else data: hybrid was the faster at every link
// rate measured, docs/distributed.md). Checkpoints are the same either way.
enum class ParallelMode { automatic, data, hybrid };
ParallelMode parallel_from_name(const std::string& name);  // "auto" | "data" | "hybrid"; a UserError otherwise
const char* name_of(ParallelMode mode);

// How the run uses the machines: what --resume may change, since the results do not depend on it.
struct MachineConfig {
  int threads = 0, workers = 1;
  // Several processes (mpirun): how the gradient reductions move while the backward computes
  // (parallel/comm.hpp).
  CommProgress comm_progress = CommProgress::thread;
  ParallelMode parallel = ParallelMode::automatic;
};

// What the run writes as it goes, and when.
struct LogConfig {
  int64_t checkpoint_every = 0;  // steps; 0 = once per epoch
  int64_t print_every = 100;
  int64_t stuck_steps = 300;
};

struct TrainConfig {
  std::string arch = "alexnet-mini";
  std::string out;
  int epochs = 0;
  int batch = 128;
  InitKind init = InitKind::kaiming;
  uint64_t seed = 1;
  SgdConfig sgd;
  ScheduleConfig schedule;
  DataConfig data;
  Regularization reg;
  FineTuneConfig fine_tune;
  BudgetConfig budget;
  MachineConfig machine;
  LogConfig log;
  // The changes made to the plan once the data and network existed, each {"change", "why"}.
  nlohmann::json amendments = nlohmann::json::array();
};

// config.json holds every field at its top level, as it always has.
nlohmann::json to_json(const TrainConfig& c);
TrainConfig train_config_from_json(const nlohmann::json& j);

}  // namespace alexnet
