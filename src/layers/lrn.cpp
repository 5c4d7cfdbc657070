#include "layers/lrn.hpp"

#include "kernels/choice.hpp"

namespace alexnet {

md Lrn::setup(const md& in, Mode mode, bool /*need_d_in*/) {
  kernels_ = choose_lrn_kernels(p_, in, mode, kernels_);
  impl_ = kernels_.impl();
  chosen_by_ = kernels_.chosen_by;
  return kernels_.out;
}

void Lrn::forward(const Tensor& in, const Tensor& out) { kernels_.forward->forward(in, out); }

void Lrn::backward(const Tensor& in, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (!d_in.empty()) kernels_.backward_data->backward_data(in, d_out, d_in);
}

}  // namespace alexnet
