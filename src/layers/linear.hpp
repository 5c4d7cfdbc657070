// Fully connected layer (oneDNN inner product) with an optional fused ReLU. The weights stay
// as files hold them ([out, in]); inference may read a blocked copy, training reads them in
// place.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "layers/layer.hpp"
#include "layers/weight_copies.hpp"

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
  void params_changed() override;
  double forward_flops() const override { return flops_; }
  double backward_flops() const override { return train_ ? flops_ * ((need_d_in_ ? 1 : 0) + (frozen_ ? 0 : 1)) : 0; }

 private:
  bool setup_training_matmul(const md& src, const md& dst, const dnnl::primitive_attr& attr);

  int in_, out_;
  bool relu_;
  bool train_ = false, need_d_in_ = false;
  double flops_ = 0;
  Param weight_, bias_;
  dnnl::inner_product_forward fwd_;
  // Training's forward as a matmul over the same weights read as [in, out] (see setup).
  dnnl::matmul fwd_matmul_;
  bool use_matmul_ = false;
  dnnl::inner_product_backward_data bwd_data_;
  dnnl::inner_product_backward_weights bwd_weights_;
  dnnl::eltwise_backward relu_bwd_;
  dnnl::memory w_plain_, w_, b_, dw_, db_;  // w_: the forward's layout (may be w_plain_)
  dnnl::memory w_in_out_, b_row_;            // w_plain_ and b_ as the matmul reads them
  WeightCopies copies_;
  // Inference only: the plain weights' pages were returned to the system once the blocked
  // copy was made (fc6-fc8 of alexnet-torchvision: 234 MB); they read as zeros from then on.
  bool plain_released_ = false;
};

}  // namespace alexnet
