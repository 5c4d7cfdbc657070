// The int8 fully connected layer (kernels/quant.hpp): the f32 input quantized to u8, oneDNN's
// u8 x s8 inner product (igemm) with the dequantization, bias and ReLU fused, writing f32. At
// batch 1 it reads a quarter of the f32 weights' bytes (alexnet-torchvision's fc6: 38 MB
// instead of 151). Inference only.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/fc_kernels.hpp"

namespace alexnet {

class Int8Fc : public Kernel {
 public:
  void setup(const FcRequest& r);
  void forward(const Tensor& in, const Tensor& out) override;
  void weights_changed() override { stale_ = true; }
  std::string impl(Pass) const override { return impl_; }

 private:
  FcRequest r_;
  dnnl::inner_product_forward prim_;
  InputQuantizer quantize_;
  dnnl::memory u8_in_, weights_, bias_;
  Int8Params params_;
  bool stale_ = true;
  std::string impl_;
};

}  // namespace alexnet
