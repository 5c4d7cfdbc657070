// Max pooling, k x k windows with stride s and no padding (the paper's overlapping 3x3/2
// pooling). Two kernels, each for both passes, and both keep the forward's argmax of each
// window for the backward: oneDNN's primitives (in their workspace), and ours on the blocked
// layouts and on nhwc, which the int8 convolutions write (kernels/simd/pool_blocked.cpp, one
// byte an output value). oneDNN 2.6's jit:avx2
// pooling ran alexnet-mini's pool1 at 5.4 ms forward and 6.2 ms backward a training batch of
// 128 on a Zen 3, a tenth of the step, several times what its bytes take.
#pragma once
#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"
#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd_level.hpp"

namespace alexnet {

struct PoolParams {
  int kernel = 3, stride = 2;
};

// The output's spatial size: floor((side - kernel) / stride) + 1, as PyTorch's default.
dims pool_out_dims(const PoolParams& p, const dims& in);

class OnednnPool : public Kernel {
 public:
  md setup(const PoolParams& p, const md& in, Mode mode);
  void forward(const Tensor& in, const Tensor& out) override;
  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  std::string impl(Pass pass) const override { return pass == Pass::forward ? fwd_impl_ : bwd_impl_; }

 private:
  dnnl::pooling_forward fwd_;
  dnnl::pooling_backward bwd_;
  dnnl::memory workspace_;
  std::string fwd_impl_, bwd_impl_;
};

class BlockedPool : public Kernel {
 public:
  // block: the channels a vector holds; channels_last: nhwc instead of nChw{block}c.
  BlockedPool(const PoolParams& p, int block, bool channels_last, Mode mode)
      : p_(p), block_(block), channels_last_(channels_last), mode_(mode) {}
  // The output's descriptor for input `in`: the same layout.
  md out_md(const md& in) const;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  std::string impl(Pass) const override;

 private:
  PoolGeometry geometry(const dims& in) const;
  PoolParams p_;
  int block_;
  bool channels_last_;
  Mode mode_;
  std::vector<uint8_t> taps_;  // the forward's argmax taps, for the backward (training only)
};

// Whether ours computes this pooling with vectors of `block` channels: the input f32 in
// nChw{block}c or nhwc (channels_last, set), channels a multiple of the block, windows of at
// most 16x16 (a tap fits a byte).
bool pool_blocked_supports(const PoolParams& p, int block, const md& in, bool& channels_last);
// The loops of `level` (the CPU's unless a test asks) on x, y, dy, dx in nChw{g.block}c.
void max_pool_blocked_forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps,
                              SimdLevel level = simd_level());
void max_pool_blocked_backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx,
                               SimdLevel level = simd_level());

}  // namespace alexnet
