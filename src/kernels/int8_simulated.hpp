// An f32 kernel running an int8 layer (kernels/quant.hpp), where it measures faster than the
// int8 one: it computes the same rule in f32. The layer's weights are w_scale * q already and
// its bias is on the product's int32 grid (Network::set_quantization), so only the input is
// left: quantized to u8 and back (two oneDNN reorders) before the f32 kernel reads it. The
// outputs equal the int8 kernel's up to the order of f32 sums, on every CPU, and equal the
// file's QDQ graph (formats/onnx_export.hpp).
#pragma once
#include <memory>

#include "kernels/kernel.hpp"
#include "kernels/quant.hpp"

namespace alexnet {

class SimulatedInt8 : public Kernel {
 public:
  SimulatedInt8(std::shared_ptr<Kernel> f32, const md& in, const LayerQuant& q);
  void forward(const Tensor& in, const Tensor& out) override;
  std::string impl(Pass pass) const override;
  std::shared_ptr<Kernel> wrapped() const override { return f32_; }

 private:
  std::shared_ptr<Kernel> f32_;
  dnnl::reorder quantize_, dequantize_;
  dnnl::memory u8_;
  Tensor rounded_;
};

}  // namespace alexnet
