// Fully connected kernels, over weights kept as files hold them ([out, in]).
// - InnerProductFc: oneDNN's inner product, every pass. Inference may read a blocked copy of
//   the weights (brgemm on AVX-512); an inference-only network then gives the plain weights'
//   pages back as the copy is made (alexnet-torchvision's fc6-fc8: 234 MB).
// - MatmulFcForward: training's forward as oneDNN's matmul, reading the same buffer as a
//   transposed [in, out]. Training cannot keep a blocked copy cheaply (it would be reordered
//   after every step: 12 ms for torchvision's fc6), and on plain weights the inner product
//   runs gemm, which on AVX-512 reads [out, in] at half the rate it reads [in, out].
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"
#include "kernels/quant.hpp"
#include "kernels/weight_copies.hpp"

namespace alexnet {

struct FcRequest {
  int in = 0, out = 0;
  bool relu = false;
  ParamPtrs params;
  int64_t batch = 0;
  Mode mode = Mode::eval;
  bool need_d_in = false, frozen = false;
  bool blocked_weights = false;  // inference: let oneDNN choose the weights' layout
  bool inference_only = false;   // may give the plain weights back once copied
  const LayerQuant* quant = nullptr;  // an int8 layer's quantization (inference only)
};

class InnerProductFc : public Kernel {
 public:
  // Whether oneDNN would run this forward on gemm with the weights in the layout it prefers
  // (blocked) or, with blocked false, in the plain one.
  static bool runs_gemm(const FcRequest& r, bool blocked);
  void setup(const FcRequest& r);
  // Whether the plain weights were given back, and the forward reads a blocked copy: then its
  // layout cannot change at another batch size.
  bool plain_released() const { return plain_released_; }
  bool reads_blocked() const { return w_ && w_.get_desc() != w_plain_.get_desc(); }

  void forward(const Tensor& in, const Tensor& out) override;
  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  void backward_weights(const Tensor& in, const Tensor& d_out) override;
  void weights_changed() override;
  std::string impl(Pass pass) const override;

 private:
  dnnl::inner_product_forward fwd_;
  dnnl::inner_product_backward_data bwd_data_;
  dnnl::inner_product_backward_weights bwd_weights_;
  dnnl::memory w_plain_, w_, b_, dw_, db_;  // w_: the forward's layout (may be w_plain_)
  WeightCopies copies_;
  bool inference_only_ = false;
  // The plain weights' pages were returned to the system once the blocked copy was made;
  // they read as zeros from then on.
  bool plain_released_ = false;
  std::string fwd_impl_, data_impl_, weights_impl_;
};

class MatmulFcForward : public Kernel {
 public:
  // Whether the matmul would land on gemm as well (AVX2), where the inner product is as fast.
  static bool runs_gemm(const FcRequest& r);
  void setup(const FcRequest& r);
  void forward(const Tensor& in, const Tensor& out) override;
  std::string impl(Pass) const override { return impl_; }

 private:
  dnnl::matmul prim_;
  dnnl::memory w_in_out_, b_row_;  // the plain weights and bias as the matmul reads them
  std::string impl_;
};

}  // namespace alexnet
