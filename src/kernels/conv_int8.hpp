// The int8 convolution (kernels/quant.hpp): the f32 input quantized to u8 in the layout the
// kernel reads, oneDNN's u8 x s8 convolution (jit_uni_int8 on AVX2, VNNI where the CPU has it)
// with the dequantization, bias and ReLU fused, writing f32 for the next layer. Inference only.
#pragma once
#include "kernels/conv_request.hpp"
#include "kernels/int8_product.hpp"

namespace alexnet {

class Int8Conv : public Kernel {
 public:
  md setup(const ConvRequest& r);  // returns the output's descriptor
  void forward(const Tensor& in, const Tensor& out) override;
  void weights_changed() override { product_.forget(); }
  std::string impl(Pass) const override { return product_.impl(); }

 private:
  ConvRequest r_;
  Int8Product product_;
};

}  // namespace alexnet
