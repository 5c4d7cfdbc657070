// The int8 fully connected layer (kernels/quant.hpp): the f32 input quantized to u8, oneDNN's
// u8 x s8 inner product (igemm) with the dequantization, bias and ReLU fused, writing f32. At
// batch 1 it reads a quarter of the f32 weights' bytes (alexnet-torchvision's fc6: 38 MB
// instead of 151). Inference only.
#pragma once
#include "kernels/fc_kernels.hpp"
#include "kernels/int8_product.hpp"

namespace alexnet {

class Int8Fc : public Kernel {
 public:
  void setup(const FcRequest& r);
  void forward(const Tensor& in, const Tensor& out) override;
  void weights_changed() override { product_.forget(); }
  std::string impl(Pass) const override { return product_.impl(); }

 private:
  FcRequest r_;
  Int8Product product_;
};

}  // namespace alexnet
