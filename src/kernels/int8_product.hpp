// What the int8 convolution and fc kernels share (kernels/quant.hpp): a layer's f32 parameters
// made into Int8Params, the attribute of a u8 x s8 product (dequantization per output channel,
// the input's zero point, the ReLU), and at run time the f32 input quantized into a u8 buffer
// (one oneDNN reorder, scale and zero point fused) and the product on it. Each kernel makes
// only its primitive's descriptor.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "kernels/quant.hpp"
#include "tensor/tensor.hpp"

namespace alexnet {

// The reorders of the input rule (kernels/quant.hpp): f32 `from` into u8 `to` (the same
// dimensions, any layouts), u = clamp(rne(x / in_scale + in_zero)); and back, x = in_scale * (u - in_zero).
dnnl::reorder quantize_reorder(const md& from, const md& to, const LayerQuant& q);
dnnl::reorder dequantize_reorder(const md& from, const md& to, const LayerQuant& q);

class Int8Product {
 public:
  // The layer's parameters ([out, per_out] weights that are w_scale * q in f32); Int8Params
  // are made from them when stale (first use, after forget()).
  void set_layer(const float* weight, const float* bias, int64_t out, int64_t per_out, const LayerQuant& q);
  bool stale() const { return stale_; }
  void forget() { stale_ = true; }  // the weights changed
  dnnl::primitive_attr attr(bool relu) const;

  // Takes primitive P of descriptor pd, for f32 input `in`; `plain`: the s8 weights' layout
  // in files, reordered into pd's when it differs from the layout held.
  template <class P>
  void bind(const typename P::primitive_desc& pd, const md& in, const md& plain) {
    bind_primitive(P(pd), pd.impl_info_str(), pd.src_desc(), pd.weights_desc(), pd.bias_desc(), in, plain);
  }
  void run(const Tensor& in, const Tensor& out) const;
  const std::string& impl() const { return impl_; }

 private:
  void bind_primitive(const dnnl::primitive& p, const std::string& impl, const md& u8_in, const md& weights,
                      const md& bias, const md& in, const md& plain);

  const float *weight_ = nullptr, *bias_values_ = nullptr;
  int64_t out_ = 0, per_out_ = 0;
  const LayerQuant* q_ = nullptr;
  Int8Params params_;
  bool stale_ = true;
  dnnl::primitive prim_;
  dnnl::reorder quantize_;
  dnnl::memory u8_in_, weights_, bias_;
  std::string impl_;
};

}  // namespace alexnet
