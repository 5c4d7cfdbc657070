#include "layers/conv.hpp"

#include "kernels/choice.hpp"
#include "kernels/fused_relu.hpp"
#include "util/error.hpp"

namespace alexnet {

Conv::Conv(std::string name, std::string weight_name, std::string bias_name, ConvShape s)
    : Layer(std::move(name)), s_(s) {
  weight_.name = std::move(weight_name);
  weight_.shape = {s.out, s.in / s.groups, s.kernel, s.kernel};
  bias_.name = std::move(bias_name);
  bias_.shape = {s.out};
  bias_.is_bias = true;
}

md Conv::setup(const md& in, Mode mode, bool need_d_in) {
  mode_ = mode;
  need_d_in_ = need_d_in;
  const dims d = in.dims();
  if (d.size() != 4 || d[1] != s_.in)
    fail(name() + ": expected input with " + std::to_string(s_.in) + " channels, got " + shape_str(d));
  const ConvRequest r{s_, {weight_.value, bias_.value, weight_.grad, bias_.grad}, in, mode, need_d_in, frozen_, quant()};
  const dims out = r.out_dims();
  if (out[2] <= 0 || out[3] <= 0) fail(name() + ": input " + shape_str(d) + " is smaller than the kernel");
  flops_ = 2.0 * numel(out) * (s_.in / s_.groups) * s_.kernel * s_.kernel;
  kernels_ = choose_conv_kernels(r, kernels_);
  impl_ = kernels_.impl();
  chosen_by_ = kernels_.chosen_by;
  if (mode == Mode::train && s_.relu) relu_bwd_ = relu_backward_for(kernels_.out);
  return kernels_.out;
}

void Conv::forward(const Tensor& in, const Tensor& out) { kernels_.forward->forward(in, out); }

void Conv::backward(const Tensor& in, const Tensor& out, const Tensor& d_out, const Tensor& d_in) {
  if (frozen_ && d_in.empty()) return;
  if (s_.relu) run_relu_backward(relu_bwd_, out, d_out);
  if (!frozen_) kernels_.backward_weights->backward_weights(in, d_out);
  if (!d_in.empty()) kernels_.backward_data->backward_data(in, d_out, d_in);
}

}  // namespace alexnet
