#include "kernels/lrn_blocked.hpp"

#include "kernels/lrn_kernels.hpp"
#include "kernels/simd/simd_kernels.hpp"

namespace alexnet {

bool lrn_blocked_supports(const LrnParams& p, int block, int64_t channels) {
  return (block == 8 || block == 16) && channels % block == 0 && channels / block <= kLrnMaxBlocks &&
         p.beta == 0.75f && p.size % 2 == 1 && p.size >= 1 && (p.size - 1) / 2 <= 3;
}

void lrn_blocked_forward(const LrnParams& p, int block, const float* x, float* y, int64_t batch,
                         int64_t channels, int64_t hw, SimdLevel level) {
  simd_kernels(level)->lrn_forward(p, block, x, y, batch, channels, hw);
}

void lrn_blocked_backward(const LrnParams& p, int block, const float* x, const float* dy, float* dx,
                          int64_t batch, int64_t channels, int64_t hw, SimdLevel level) {
  simd_kernels(level)->lrn_backward(p, block, x, dy, dx, batch, channels, hw);
}

}  // namespace alexnet
