#include "train/time_budget.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "layers/softmax_xent.hpp"
#include "model/network.hpp"
#include "train/sgd.hpp"
#include "util/rng.hpp"

namespace alexnet {

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The median of `reps` timed calls after `warmup` untimed ones.
template <typename F>
double median_seconds(F&& f, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_s();
    f();
    t.push_back(now_s() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

BudgetPlan plan_epochs(const ArchSpec& arch, int classes, const TrainConfig& cfg, int64_t train_size,
                       int64_t val_size) {
  Network net(arch, classes);
  net.init(InitKind::kaiming, 1);
  Tensor x = Tensor::plain(net.input_shape(cfg.batch));
  Rng rng(11);
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>(rng.normal());
  std::vector<int32_t> labels(cfg.batch);
  for (auto& y : labels) y = static_cast<int32_t>(rng.below(static_cast<uint32_t>(classes)));
  SoftmaxCrossEntropy xent;
  int64_t i = 0;
  auto step = [&] {
    const Tensor& logits = net.forward(x, Mode::train, static_cast<uint64_t>(++i));
    xent.forward_backward(logits, labels, net.d_logits());
    net.backward();
    sgd_step(net.values(), net.grads(), net.momenta(), net.num_params(), cfg.sgd);
    net.params_changed();
  };
  BudgetPlan p;
  const bool heavy = arch.crop > 100;
  p.step_seconds = median_seconds(step, 2, heavy ? 3 : 15);
  if (val_size > 0) {
    const int vb = static_cast<int>(std::min<int64_t>(val_size, heavy ? 50 : 500));
    Tensor v = Tensor::plain(net.input_shape(vb));
    std::fill(v.data(), v.data() + v.size(), 0.1f);
    const double s = median_seconds([&] { net.forward(v, Mode::eval); }, 1, heavy ? 2 : 5);
    p.val_seconds = s * static_cast<double>(val_size) / vb;
  }
  const double steps = std::ceil(static_cast<double>(train_size) / cfg.batch);
  // 10% for what the timing leaves out: data loading the workers do not hide, checkpoints,
  // the metrics; and the measurement's own noise.
  const double per_epoch = 1.1 * (steps * p.step_seconds + p.val_seconds);
  p.epochs = std::clamp(static_cast<int>(cfg.time_budget_s / per_epoch), 1, std::max(1, cfg.epochs));
  p.expected_seconds = p.epochs * per_epoch;
  return p;
}

}  // namespace alexnet
