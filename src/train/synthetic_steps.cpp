#include "train/synthetic_steps.hpp"

#include <algorithm>
#include <chrono>

#include "util/rng.hpp"

namespace alexnet {

SyntheticSteps::SyntheticSteps(Network& net, int batch, bool train, const SgdConfig& sgd, uint64_t seed)
    : net_(net), train_(train), sgd_(sgd), x_(Tensor::plain(net.input_shape(batch))), labels_(batch) {
  Rng rng(seed);
  for (int64_t i = 0; i < x_.size(); ++i) x_.data()[i] = static_cast<float>(rng.normal());
  for (auto& y : labels_) y = static_cast<int32_t>(rng.below(static_cast<uint32_t>(net.classes())));
}

void SyntheticSteps::step() {
  const Tensor& logits = net_.forward(x_, train_ ? Mode::train : Mode::eval, i_++);
  if (!train_) return;
  xent_.forward_backward(logits, labels_, net_.d_logits());
  net_.backward();
  sgd_step(net_.values(), net_.grads(), net_.momenta(), net_.num_params(), sgd_);
  net_.params_changed();
}

void SyntheticSteps::warm_up(int steps) {
  for (int i = 0; i < steps; ++i) step();
}

std::vector<double> SyntheticSteps::time(int steps) {
  std::vector<double> t;
  for (int i = 0; i < steps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    step();
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t;
}

}  // namespace alexnet
