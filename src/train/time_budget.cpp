#include "train/time_budget.hpp"

#include <algorithm>
#include <cmath>

#include "model/network.hpp"
#include "train/synthetic_steps.hpp"

namespace alexnet {

BudgetPlan plan_epochs(const ArchSpec& arch, int classes, const TrainConfig& cfg, int64_t train_size,
                       int64_t val_size) {
  Network net(arch, classes);
  net.init(InitKind::kaiming, 1);
  const bool heavy = arch.crop > 100;
  BudgetPlan p;
  SyntheticSteps train(net, cfg.batch, true, cfg.sgd, 11);
  train.warm_up(2);
  const auto t = train.time(heavy ? 3 : 15);
  p.step_seconds = t[t.size() / 2];
  if (val_size > 0) {
    const int vb = static_cast<int>(std::min<int64_t>(val_size, heavy ? 50 : 500));
    SyntheticSteps eval(net, vb, false, cfg.sgd, 12);
    eval.warm_up(1);
    const auto e = eval.time(heavy ? 2 : 5);
    p.val_seconds = e[e.size() / 2] * static_cast<double>(val_size) / vb;
  }
  const double steps = std::ceil(static_cast<double>(train_size) / cfg.batch);
  // 10% for what the timing leaves out: data loading the workers do not hide, checkpoints,
  // the metrics; and the measurement's own noise.
  const double per_epoch = 1.1 * (steps * p.step_seconds + p.val_seconds);
  p.epochs = std::clamp(static_cast<int>(cfg.budget.time_budget_s / per_epoch), 1, std::max(1, cfg.epochs));
  p.expected_seconds = p.epochs * per_epoch;
  return p;
}

int replanned_epochs(int planned, int done, int ceiling, double budget, double used, double epoch_seconds) {
  if (!(epoch_seconds > 0)) return planned;
  const double left = std::max(0.0, budget - used);
  auto fit = [&](double margin) {
    const int more = static_cast<int>(std::max(0.0, left - margin) / epoch_seconds);
    return std::clamp(done + more, done, std::max(done, ceiling));
  };
  const bool overruns = used + (planned - done) * epoch_seconds > budget;
  if (overruns) return std::min(planned, fit(0.05 * left));
  return std::max(planned, fit(std::max(0.05 * left, 0.3 * epoch_seconds)));
}

double recent_pace(const std::vector<double>& epoch_seconds) {
  if (epoch_seconds.empty()) return 0;
  std::vector<double> last(epoch_seconds.end() - std::min<size_t>(3, epoch_seconds.size()), epoch_seconds.end());
  std::sort(last.begin(), last.end());
  return last.size() == 2 ? (last[0] + last[1]) / 2 : last[last.size() / 2];
}


Replan replan_after_epoch(const TrainConfig& cfg, int done, std::vector<double>& recent, double epoch_seconds,
                          double used) {
  recent.push_back(epoch_seconds);
  if (recent.size() > 3) recent.erase(recent.begin());
  Replan r;
  const bool simulated = cfg.budget.simulate_epoch_seconds > 0;
  r.pace = simulated ? cfg.budget.simulate_epoch_seconds : recent_pace(recent);
  r.used = simulated ? done * r.pace : used;
  const int ceiling = cfg.budget.max_epochs > 0 ? cfg.budget.max_epochs : cfg.epochs;
  r.epochs = replanned_epochs(cfg.epochs, done, ceiling, cfg.budget.time_budget_s, r.used, r.pace);
  return r;
}

}  // namespace alexnet
