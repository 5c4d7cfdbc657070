// The int8 convolution (kernels/quant.hpp): the f32 input quantized to u8 in the layout the
// kernel reads, oneDNN's u8 x s8 convolution (jit_uni_int8 on AVX2, VNNI where the CPU has it)
// with the dequantization, bias and ReLU fused, writing f32 for the next layer. Inference only.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/conv_request.hpp"
#include "kernels/quant.hpp"

namespace alexnet {

class Int8Conv : public Kernel {
 public:
  md setup(const ConvRequest& r);  // returns the output's descriptor
  void forward(const Tensor& in, const Tensor& out) override;
  void weights_changed() override { stale_ = true; }
  std::string impl(Pass) const override { return impl_; }

 private:
  void make_weights();

  ConvRequest r_;
  dnnl::convolution_forward prim_;
  InputQuantizer quantize_;
  dnnl::memory u8_in_, weights_, bias_;
  Int8Params params_;
  md weights_desc_;
  bool stale_ = true;
  std::string impl_;
};

}  // namespace alexnet
