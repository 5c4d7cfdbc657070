// Convolution with groups and an optional fused ReLU (computed while the output is still in
// cache). The forward keeps nothing extra: the backward of the fused ReLU needs only the
// output, which the Network keeps anyway. The passes run on the kernels kernels/choice.cpp
// picks: our Winograd, oneDNN's direct kernel, or the padded first layer.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/conv_request.hpp"
#include "layers/layer.hpp"

namespace alexnet {

class Conv : public Layer {
 public:
  Conv(std::string name, std::string weight_name, std::string bias_name, ConvShape s);
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;
  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  void params_changed() override { kernels_.weights_changed(); }
  const ConvShape& shape() const { return s_; }
  double forward_flops() const override { return flops_; }
  double backward_flops() const override {
    return mode_ == Mode::train ? flops_ * ((need_d_in_ ? 1 : 0) + (frozen_ ? 0 : 1)) : 0;
  }

 private:
  ConvShape s_;
  Param weight_, bias_;
  Mode mode_ = Mode::eval;
  double flops_ = 0;
  bool need_d_in_ = false;
  Kernels kernels_;
  dnnl::eltwise_backward relu_bwd_;
};

}  // namespace alexnet
