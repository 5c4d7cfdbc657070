// Fully connected layer with an optional fused ReLU. The weights stay as files hold them
// ([out, in]); the passes run on the kernels kernels/choice.cpp picks (kernels/fc_kernels.hpp).
// In hybrid parallelism (layers/exchange.hpp) a rank trains only its slice of the neurons,
// rows [begin, end) of the weights; evaluation always computes them all.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "layers/layer.hpp"

namespace alexnet {

class Linear : public Layer {
 public:
  Linear(std::string name, std::string weight_name, std::string bias_name, int in, int out,
         bool relu);
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;
  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  void set_slice(int64_t begin, int64_t end) { begin_ = begin, end_ = end; }
  void params_changed() override { kernels_.weights_changed(); }
  double forward_flops() const override { return flops_; }
  double backward_flops() const override { return train_ ? flops_ * ((need_d_in_ ? 1 : 0) + (frozen_ ? 0 : 1)) : 0; }

 private:
  int in_, out_;
  int64_t begin_ = 0, end_;
  bool relu_;
  bool train_ = false, need_d_in_ = false;
  double flops_ = 0;
  Param weight_, bias_;
  Kernels kernels_;
  dnnl::eltwise_backward relu_bwd_;
};

}  // namespace alexnet
