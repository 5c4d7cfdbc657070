// LRN across channels on the blocked layouts (nChw8c, nChw16c), forward and backward, for
// beta = 0.75: s^-0.75 is 1 / (sqrt(s) * sqrt(sqrt(s))), two square roots instead of a power.
// oneDNN 2.6's AVX2 LRN ("jit:avx2") runs at ~1.3 ns an element, 3-4x its AVX-512 kernel:
// 23 ms of the 2012 net's 276 ms at batch 64 and 8.8 ms of alexnet-mini's 46 ms training step.
//   forward:  s_i = k + (alpha/n) sum_{j in window(i)} x_j^2,   y_i = x_i s_i^-beta
//   backward: dx_i = dy_i s_i^-beta - (2 alpha beta / n) x_i sum_{j in window(i)} dy_j x_j s_j^(-beta-1)
// The backward recomputes s from x instead of keeping a workspace.
#pragma once
#include <cstdint>

#include "kernels/simd_level.hpp"

namespace alexnet {

struct LrnParams;

// Whether these kernels compute this LRN: beta 0.75, a window that reaches at most one block
// of channels to either side, and whole blocks (at most 64) of channels.
bool lrn_blocked_supports(const LrnParams& p, int block, int64_t channels);
// x, y, dy, dx: batch x channels x hw, in blocks of `block` channels (lrn_blocked_supports);
// level: whose compiled loops run (simd/lrn_blocked.cpp; the CPU's, unless a test asks).
void lrn_blocked_forward(const LrnParams& p, int block, const float* x, float* y, int64_t batch,
                         int64_t channels, int64_t hw, SimdLevel level = simd_level());
void lrn_blocked_backward(const LrnParams& p, int block, const float* x, const float* dy, float* dx,
                          int64_t batch, int64_t channels, int64_t hw, SimdLevel level = simd_level());

}  // namespace alexnet
