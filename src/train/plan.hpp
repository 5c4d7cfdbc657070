// A training run planned in one place: from what the command line said (TrainRequest: what it
// left unsaid is unset, not a default), the architecture's defaults, --init-from's weights
// (read here, once), a resumed run's config.json, into the complete TrainConfig the run obeys
// and config.json records.
//
// What may still change once the data and the network exist changes through one named step,
// TrainingRun::amend_plan, which prints it and records it in config.json ("amendments"): the
// batch when the training set is smaller than it, the epochs a --time-budget plans, and the
// layers --init-from left new.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "formats/weights.hpp"
#include "train/train_config.hpp"

namespace alexnet {

struct TrainRequest {
  TrainConfig given;  // every flag's value; those below override or stay open
  std::optional<std::string> arch, schedule, init;
  std::optional<float> lr, label_smoothing, ema;
  std::optional<int> epochs;
  std::string resume;  // a run folder to continue: then only threads and workers may be given
  int64_t kill_after_steps = 0;  // tests: the last rank SIGKILLs itself after this global step (a hook, not the plan)
};

struct TrainPlan {
  TrainConfig cfg;
  bool resume = false;
  std::unique_ptr<LoadedModel> source;  // --init-from's weights (a new run only)
};

TrainPlan plan_training(TrainRequest request);

// RUN_DIR/config.json as the run wrote it, checked (a clear error naming the file otherwise).
TrainConfig read_run_config(const std::string& run_dir);

}  // namespace alexnet
