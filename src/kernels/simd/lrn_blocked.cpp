// LRN on the blocked layouts (kernels/lrn_blocked.hpp), forward and backward, a vector of
// channels at a time. Compiled once per instruction-set level (simd/simd_kernels.hpp), with
// -fno-math-errno: the square roots vectorise only when they need not set errno (their inputs
// are >= k > 0).
#include <cstring>

#include "kernels/lrn_params.hpp"
#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd/vec.hpp"

namespace alexnet::ALEXNET_SIMD_NS {

namespace {

// Lane i of the result is channel i + D of the block, taken from the block before (D < 0) or
// after (D > 0) where it runs past the edge.
template <int V, int D>
inline vec<V> shifted(vec<V> before, vec<V> cur, vec<V> after) {
#if defined(__clang__)  // no __builtin_shuffle; the fuzzing and sanitizer builds use clang
  vec<V> r;
  for (int i = 0; i < V; ++i) {
    const int j = i + D;
    r[i] = j < 0 ? before[V + j] : j >= V ? after[j - V] : cur[j];
  }
  return r;
#else
  typename Lanes<V>::index mask;
  for (int i = 0; i < V; ++i) mask[i] = D < 0 ? V + i + D : i + D;
  return D < 0 ? __builtin_shuffle(before, cur, mask) : __builtin_shuffle(cur, after, mask);
#endif
}

// The window sum of v over channels i - half .. i + half, blocks b-1, b, b+1 given.
template <int V>
inline vec<V> window_sum(vec<V> before, vec<V> cur, vec<V> after, int half) {
  vec<V> s = cur;
  if (half >= 1) s += shifted<V, -1>(before, cur, after) + shifted<V, 1>(before, cur, after);
  if (half >= 2) s += shifted<V, -2>(before, cur, after) + shifted<V, 2>(before, cur, after);
  if (half >= 3) s += shifted<V, -3>(before, cur, after) + shifted<V, 3>(before, cur, after);
  return s;
}

// sqrt(s) and sqrt(sqrt(s)), lane by lane, which the compiler turns into vector square roots. s^-0.75 = 1 / (w u); s^-1.75 = 1 / (w^3 u).
template <int V>
inline void roots(vec<V> s, vec<V>& w, vec<V>& u) {
  float r[V], q[V];
  std::memcpy(r, &s, sizeof r);
  for (int i = 0; i < V; ++i) {
    r[i] = __builtin_sqrtf(r[i]);
    q[i] = __builtin_sqrtf(r[i]);
  }
  w = load<V>(r);
  u = load<V>(q);
}

constexpr int kMaxBlocks = kLrnMaxBlocks;

// One position's channel blocks: x and the scale s.
template <int V>
inline void scales_at(const LrnParams& p, const float* x, int64_t block_stride, int blocks,
                      vec<V>* xs, vec<V>* s) {
  vec<V> sq[kMaxBlocks + 2];
  sq[0] = sq[blocks + 1] = vec<V>{};
  for (int b = 0; b < blocks; ++b) {
    xs[b] = load<V>(x + b * block_stride);
    sq[b + 1] = xs[b] * xs[b];
  }
  const vec<V> k = splat<V>(p.k), a = splat<V>(p.alpha / static_cast<float>(p.size));
  const int half = (p.size - 1) / 2;
  for (int b = 0; b < blocks; ++b) s[b] = k + a * window_sum<V>(sq[b], sq[b + 1], sq[b + 2], half);
}

template <int V>
void forward(const LrnParams& p, const float* x, float* y, int64_t batch, int64_t channels, int64_t hw) {
  const int blocks = static_cast<int>(channels / V);
  const int64_t block_stride = hw * V;
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t pos = 0; pos < hw; ++pos) {
      const int64_t at = n * channels * hw + pos * V;
      vec<V> xs[kMaxBlocks], s[kMaxBlocks], w, u;
      scales_at<V>(p, x + at, block_stride, blocks, xs, s);
      for (int b = 0; b < blocks; ++b) {
        roots<V>(s[b], w, u);
        store<V>(y + at + b * block_stride, xs[b] / (w * u));
      }
    }
}

template <int V>
void backward(const LrnParams& p, const float* x, const float* dy, float* dx, int64_t batch,
              int64_t channels, int64_t hw) {
  const int blocks = static_cast<int>(channels / V);
  const int64_t block_stride = hw * V;
  const int half = (p.size - 1) / 2;
  const vec<V> c = splat<V>(2.f * p.alpha * p.beta / static_cast<float>(p.size));
#pragma omp parallel for collapse(2) schedule(static)
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t pos = 0; pos < hw; ++pos) {
      const int64_t at = n * channels * hw + pos * V;
      vec<V> xs[kMaxBlocks], s[kMaxBlocks], inv[kMaxBlocks], g[kMaxBlocks], t[kMaxBlocks + 2], w, u;
      scales_at<V>(p, x + at, block_stride, blocks, xs, s);
      // t_j = dy_j x_j s_j^(-beta-1), zero past the first and last channel
      t[0] = t[blocks + 1] = vec<V>{};
      for (int b = 0; b < blocks; ++b) {
        roots<V>(s[b], w, u);
        const vec<V> d = 1.f / (w * w * w * u);  // s^-1.75
        inv[b] = d * s[b];                        // s^-0.75
        g[b] = load<V>(dy + at + b * block_stride);
        t[b + 1] = g[b] * xs[b] * d;
      }
      for (int b = 0; b < blocks; ++b) {
        const vec<V> sum = window_sum<V>(t[b], t[b + 1], t[b + 2], half);
        store<V>(dx + at + b * block_stride, g[b] * inv[b] - c * xs[b] * sum);
      }
    }
}

}  // namespace

void lrn_forward(const LrnParams& p, int block, const float* x, float* y, int64_t batch, int64_t channels,
                 int64_t hw) {
  if (block == 8)
    forward<8>(p, x, y, batch, channels, hw);
  else
    forward<16>(p, x, y, batch, channels, hw);
}

void lrn_backward(const LrnParams& p, int block, const float* x, const float* dy, float* dx, int64_t batch,
                  int64_t channels, int64_t hw) {
  if (block == 8)
    backward<8>(p, x, dy, dx, batch, channels, hw);
  else
    backward<16>(p, x, dy, dx, batch, channels, hw);
}

}  // namespace alexnet::ALEXNET_SIMD_NS
