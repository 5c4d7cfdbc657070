// --time-budget: how many epochs fit in a given wall time on this machine. The training step
// and the validation pass are timed here, before the run, on a network of the run's shape with
// random data; the plan (epochs, and so the schedule's length) is written to config.json with
// the measured rates, so the run itself stays deterministic and a resumed run keeps its plan.
// An explicit or default --epochs stays the ceiling: a fast machine trains the usual recipe, a
// slow one a shorter schedule that ends in time.
#pragma once
#include <cstdint>

#include "model/arch.hpp"
#include "train/train_config.hpp"

namespace alexnet {

struct BudgetPlan {
  int epochs = 1;
  double step_seconds = 0, val_seconds = 0, expected_seconds = 0;
};

// The most epochs (at least 1, at most cfg.epochs) whose training steps plus one validation
// pass each fit in cfg.time_budget_s, less a margin for data loading and checkpoints.
BudgetPlan plan_epochs(const ArchSpec& arch, int classes, const TrainConfig& cfg, int64_t train_size,
                       int64_t val_size);

}  // namespace alexnet
