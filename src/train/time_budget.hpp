// --time-budget: how many epochs fit in a given wall time on this machine. The training step
// and the validation pass are timed here, before the run, on a network of the run's shape with
// random data: the first plan. A second or two of timing can be fooled (another program busy
// for a minute at the start), so after every epoch the run plans again from the epochs it has
// actually timed, stretching or shortening the rest of its schedule. Each plan is recorded
// (config.json, metrics.jsonl, the checkpoint), so a resumed run replays the same ones. An
// explicit or default --epochs stays the ceiling: a fast machine trains the usual recipe, a slow
// one a shorter schedule that ends in time.
#pragma once
#include <cstdint>
#include <vector>

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

// After `done` epochs and `used` seconds of the budget, the last epoch having taken
// `epoch_seconds`: the epochs the run should have in all (at least `done`, at most `ceiling`).
// The plan shortens only when its end would overrun the budget, and lengthens only when the
// added epochs fit with a margin of 5% of what is left or 30% of an epoch, whichever is larger,
// so that small changes of pace do not move it back and forth, and a lengthening near the end
// survives a slower epoch. (Under a CPU quota epochs varied by up to 30%: with the 5% alone, a
// run at 0.5 of this machine added 2 epochs after its 27th with 60 s left at 28 s an epoch;
// they came slower and the training ended 2 s past its budget.)
int replanned_epochs(int planned, int done, int ceiling, double budget, double used, double epoch_seconds);

// The pace a re-plan uses: the median of the last three epochs' seconds (the mean of two, the
// one of one), so that one epoch slowed or sped up by a passing load moves the plan less. Under
// a CPU quota, epochs of 37, 45, 40 and 39 s re-planned 21, 17, 19 and 20 epochs from the last
// epoch alone; from the median they give 21, 19, 20, 20.
double recent_pace(const std::vector<double>& epoch_seconds);

// After `done` epochs of a run with a budget, the last having taken `epoch_seconds` (added to
// `recent`, the last three epochs' seconds) and `used` seconds of the budget gone: the epochs
// in all, from the recent pace (or the simulated one of the tests' --simulate-epoch-seconds).
struct Replan {
  int epochs = 0;
  double pace = 0, used = 0;
};
Replan replan_after_epoch(const TrainConfig& cfg, int done, std::vector<double>& recent, double epoch_seconds,
                          double used);

}  // namespace alexnet
