// A training run's configuration (config.json) and its entry point. The loop itself is
// TrainingRun (training_run.hpp); the validation split (data/split.hpp), the time budget
// (time_budget.hpp) and TensorBoard's events file (train/event_file.hpp) have files of their own.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/schedule.hpp"
#include "train/sgd.hpp"

namespace alexnet {

// alexnet-mini's defaults on Fashion-MNIST: chosen by measurement (README).
constexpr int kMiniEpochs = 30;
constexpr float kMiniLr = 0.05f;

struct TrainConfig {
  std::string arch = "alexnet-mini";
  std::string data, val, out, data_kind = "auto", stats;
  int epochs = 0;  // 0: the architecture's default
  int batch = 128;
  SgdConfig sgd;
  float dropout = 0.5f;
  std::string init;  // "" = the architecture's default; paper | kaiming
  // Fine-tuning: start from these trained weights (their architecture, their normalisation
  // unless --stats; the classifier re-initialised when the classes differ).
  std::string init_from;
  std::string freeze;        // fine-tuning: layers without learning, "conv1-conv5" or "conv1,conv2"
  std::string reinit;        // fine-tuning: layers initialised afresh instead of copied, "conv4-fc8"
  float lr_mult_new = 1.f;   // fine-tuning: lr multiplier of the layers re-initialised (new classes, --reinit)
  std::vector<std::string> new_params;  // those layers' parameters (written by the run)
  bool arch_set = false;  // --arch given (else --init-from's architecture, else alexnet-mini)
  uint64_t seed = 1;
  int threads = 0, workers = 1;
  ScheduleConfig schedule;
  bool schedule_set = false;  // false: the architecture's default schedule
  bool lr_set = false;        // false: the architecture's default lr
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
  double time_budget_s = 0;
  int planned_epochs = 0;
  int64_t kill_after_steps = 0;  // tests: the last rank SIGKILLs itself after this global step
};

nlohmann::json to_json(const TrainConfig& c);
TrainConfig train_config_from_json(const nlohmann::json& j);

// Fills what the architecture decides (epochs, schedule, init) where the user left it open.
void apply_arch_defaults(TrainConfig& c);

// Trains (or resumes, when RUN_DIR holds a checkpoint and `resume` is set). Returns the exit
// code: 0, or 1 when the run diverged (NaN/inf loss). Everything a run needs to continue
// exactly after a kill lives in RUN_DIR (training_run.hpp says what).
int train(TrainConfig cfg, bool resume);

}  // namespace alexnet
