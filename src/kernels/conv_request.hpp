// What a convolution layer asks of its kernels: its geometry, its parameters, the input's
// descriptor (the layout the layer below chose), and what the pass needs. The helpers here
// are shared by the convolution kernels.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"
#include "kernels/quant.hpp"
#include "kernels/winograd.hpp"

namespace alexnet {

struct ConvShape {
  int in = 0, out = 0, kernel = 0, stride = 1, pad = 0, groups = 1;
  bool relu = false;
};

struct ConvRequest {
  ConvShape shape;
  ParamPtrs params;
  md in;
  Mode mode = Mode::eval;
  bool need_d_in = false;  // training: the input's gradient (false for the first layer)
  bool frozen = false;     // training: no parameter gradients (fine-tuning)
  const LayerQuant* quant = nullptr;  // an int8 layer's quantization (inference only)

  bool training() const { return mode == Mode::train; }
  dims out_dims() const;
  dims weight_dims() const;  // {g, O/g, I/g, k, k} with groups, {O, I, k, k} without
  md plain_weight_md() const;
  md bias_md() const;
  // The forward as a Winograd convolution, and the backward-data pass as one: the gradient of
  // a stride-1 convolution's input is the forward convolution of the output's gradient with
  // each filter turned by 180 degrees, input and output channels swapped within each group,
  // padded by kernel - 1 - pad.
  WinogradShape winograd_forward() const;
  WinogradShape winograd_backward_data() const;
};

// oneDNN's forward descriptor for src -> dst with `pad` zeros on each side; weights: a layout
// to use (by default oneDNN chooses). Inference lets oneDNN choose the algorithm; training asks
// for the direct one (oneDNN's own Winograd took peak memory from 2.28 to 2.49 GB for 10%).
dnnl::convolution_forward::primitive_desc conv_forward_pd(const ConvRequest& r, const md& src,
                                                          const md& dst, int64_t pad,
                                                          const md& weights = md());

// oneDNN's weight-gradient pass for the forward `fpd` on input `src` (the padded first layer
// reads its padded copy), into the plain gradient buffers.
class ConvWeightGradient {
 public:
  void setup(const ConvRequest& r, const dnnl::convolution_forward::primitive_desc& fpd,
             const md& src, int64_t pad);
  void run(const dnnl::memory& src, const Tensor& d_out);
  const std::string& impl() const { return impl_; }

 private:
  dnnl::convolution_backward_weights prim_;
  dnnl::memory dw_, dw_plain_, d_bias_;
  dnnl::reorder from_dw_;  // when oneDNN's layout is not the plain one
  std::string impl_;
};

}  // namespace alexnet
