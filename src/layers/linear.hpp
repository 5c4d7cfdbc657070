// Fully connected layer (oneDNN inner product) with an optional fused ReLU. Plain layouts on
// both sides: the weights stay exactly as files hold them ([out, in]), so they are never
// reordered, and the product runs as one GEMM.
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

 private:
  int in_, out_;
  bool relu_;
  Param weight_, bias_;
  dnnl::inner_product_forward fwd_;
  dnnl::inner_product_backward_data bwd_data_;
  dnnl::inner_product_backward_weights bwd_weights_;
  dnnl::eltwise_backward relu_bwd_;
  dnnl::memory w_, b_, dw_, db_;
};

}  // namespace alexnet
