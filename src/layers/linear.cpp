#include "layers/linear.hpp"

#include "kernels/choice.hpp"
#include "kernels/fused_relu.hpp"
#include "util/error.hpp"

namespace alexnet {

Linear::Linear(std::string name, std::string weight_name, std::string bias_name, int in, int out,
               bool relu)
    : Layer(std::move(name)), in_(in), out_(out), end_(out), relu_(relu) {
  weight_.name = std::move(weight_name);
  weight_.shape = {out, in};
  bias_.name = std::move(bias_name);
  bias_.shape = {out};
  bias_.is_bias = true;
}

md Linear::setup(const md& in, Mode mode, bool need_d_in) {
  const dims d = in.dims();
  if (d.size() != 2 || d[1] != in_)
    fail(name() + ": expected " + std::to_string(in_) + " input features, got " + shape_str(d) +
         " (is the input image the size this architecture expects?)");
  train_ = mode == Mode::train;
  need_d_in_ = need_d_in;
  // Training a slice: its rows of the weights, its biases (and their gradients).
  const int64_t first = train_ ? begin_ : 0, count = train_ ? end_ - begin_ : out_;
  auto at = [](float* p, int64_t off) { return p ? p + off : nullptr; };
  flops_ = 2.0 * d[0] * in_ * count;
  FcRequest r;
  r.in = in_, r.out = static_cast<int>(count), r.relu = relu_, r.batch = d[0], r.mode = mode;
  r.params = {at(weight_.value, first * in_), at(bias_.value, first), at(weight_.grad, first * in_),
              at(bias_.grad, first)};
  r.need_d_in = need_d_in, r.frozen = frozen_, r.quant = quant();
  r.inference_only = inference_only_ && !quant_;  // the int8 kernel makes its weights from the f32 ones
  kernels_ = choose_fc_kernels(r, kernels_);
  impl_ = kernels_.impl();
  chosen_by_ = kernels_.chosen_by;
  if (train_ && relu_) relu_bwd_ = relu_backward_for(kernels_.out);
  return kernels_.out;
}

void Linear::forward(const Tensor& in, const Tensor& out) { kernels_.forward->forward(in, out); }

void Linear::backward(const Tensor& in, const Tensor& out, const Tensor& d_out, const Tensor& d_in) {
  if (frozen_ && d_in.empty()) return;
  if (relu_) run_relu_backward(relu_bwd_, out, d_out);
  if (!frozen_) kernels_.backward_weights->backward_weights(in, d_out);
  if (!d_in.empty()) kernels_.backward_data->backward_data(in, d_out, d_in);
}

}  // namespace alexnet
