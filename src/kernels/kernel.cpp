#include "kernels/kernel.hpp"

#include "util/error.hpp"

namespace alexnet {

void Kernel::forward(const Tensor&, const Tensor&) { internal_error("this kernel has no forward pass"); }

void Kernel::backward_data(const Tensor&, const Tensor&, const Tensor&) {
  internal_error("this kernel has no backward-data pass");
}

void Kernel::backward_weights(const Tensor&, const Tensor&) {
  internal_error("this kernel has no weight-gradient pass");
}

std::string Kernels::impl() const {
  std::string s;
  const std::pair<const std::shared_ptr<Kernel>*, Pass> passes[] = {
      {&forward, Pass::forward}, {&backward_data, Pass::backward_data}, {&backward_weights, Pass::backward_weights}};
  for (const auto& [k, pass] : passes)
    if (*k) s += (s.empty() ? "" : " / ") + (*k)->impl(pass);
  return s;
}

void Kernels::weights_changed() const {
  if (forward) forward->weights_changed();
  if (backward_data && backward_data != forward) backward_data->weights_changed();
  if (backward_weights && backward_weights != forward && backward_weights != backward_data)
    backward_weights->weights_changed();
}

}  // namespace alexnet
