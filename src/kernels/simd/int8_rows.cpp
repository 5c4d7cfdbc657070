// The int8 fully connected layer at small batches (kernels/fc_int8_rows.hpp): each weight row
// read once from memory for every image of the batch, the u8 x s8 products widened to 16 bits
// (255 * 127 fits; no pair is summed there, so nothing saturates at any weight width) and
// summed in 32.
#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd/vec.hpp"

namespace alexnet::ALEXNET_SIMD_NS {

namespace {

// sum_i a[i] * q[i] over n values: a loop GCC's vectorizer turns into its dot-product pattern
// (vpmaddwd on 16-bit pairs, 16 products an instruction at AVX2). Two rows a pass, sharing the
// input's loads, measured no faster: the weights' stream sets the pace.
int32_t dot(const int16_t* __restrict a, const int8_t* __restrict q, int64_t n) {
  int32_t s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<int32_t>(a[i]) * static_cast<int16_t>(q[i]);
  return s;
}

}  // namespace

void int8_quantize_rows(const float* x, int64_t count, float inv_scale, int zero, int16_t* u) {
  for (int64_t i = 0; i < count; ++i) {
    float v = x[i] * inv_scale + static_cast<float>(zero);
    v = v < 0.f ? 0.f : v > 255.f ? 255.f : v;
    u[i] = static_cast<int16_t>(__builtin_nearbyintf(v));
  }
}

void int8_rows(const Int8Rows& r, const int16_t* u, int64_t first, int64_t rows, float* y) {
  for (int64_t o = first; o < first + rows; ++o) {
    const int8_t* q = r.weights + o * r.in;
    for (int64_t n = 0; n < r.batch; ++n) {
      const int32_t sum = dot(u + n * r.in, q, r.in) - r.zero * r.row_sums[o];
      const float v = (static_cast<float>(sum) + r.bias[o]) * r.scales[o];
      y[n * r.out + o] = r.relu && v < 0.f ? 0.f : v;
    }
  }
}

}  // namespace alexnet::ALEXNET_SIMD_NS
