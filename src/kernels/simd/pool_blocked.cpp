// Max pooling on the blocked layouts (kernels/pool_blocked.hpp), forward and backward, a vector
// of channels at a time. Compiled once per instruction-set level (simd/simd_kernels.hpp).
// Each (image, channel block) plane is one task: its input (at most a few tens of KB) stays in
// the core's caches while the windows overlap, and the backward adds into it tap by tap.
#include <cstring>

#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd/vec.hpp"

namespace alexnet::ALEXNET_SIMD_NS {

namespace {

template <int V>
using lanes = typename Lanes<V>::index;
template <int V>
struct Bytes {
  typedef uint8_t type __attribute__((vector_size(V)));
};

// Outputs computed side by side: each window's maximum is a chain of 9 dependent compares and
// blends, and G independent chains keep the core busy (one at a time ran ~50 cycles an output).
constexpr int G = 4;

// Outputs [ox, ox + n) of row oy, n <= G: y = the max of each window; with Taps, also which tap
// of the window (ky * kernel + kx) held it: the first in row-major order on ties, a NaN wherever
// one is, the last one if several (PyTorch's rule: its backward sends the gradient there alone).
template <int V, bool Taps>
inline void forward_outputs(const PoolGeometry& g, const float* x, int64_t oy, int64_t ox, int n, float* y,
                            uint8_t* taps) {
  vec<V> m[G];
  lanes<V> at[G] = {};
  const float* w = x + (oy * g.stride * g.iw + ox * g.stride) * V;
  const int64_t step = g.stride * V;
  for (int j = 0; j < n; ++j) m[j] = load<V>(w + j * step);
  for (int ky = 0; ky < g.kernel; ++ky)
    for (int kx = 0; kx < g.kernel; ++kx) {
      const int64_t offset = (ky * g.iw + kx) * V;
      for (int j = 0; j < n; ++j) {
        const vec<V> v = load<V>(w + j * step + offset);
        const lanes<V> take = (v > m[j]) | (v != v);
        m[j] = take ? v : m[j];
        if (Taps) at[j] = take ? lanes<V>{} + (ky * g.kernel + kx) : at[j];
      }
    }
  const int64_t o = oy * g.ow + ox;
  for (int j = 0; j < n; ++j) {
    store<V>(y + (o + j) * V, m[j]);
    if (Taps) {
      const typename Bytes<V>::type b = __builtin_convertvector(at[j], typename Bytes<V>::type);
      std::memcpy(taps + (o + j) * V, &b, V);
    }
  }
}

// One plane's forward, G outputs at a time.
template <int V, bool Taps>
void forward_plane(const PoolGeometry& g, const float* x, float* y, uint8_t* taps) {
  for (int64_t oy = 0; oy < g.oh; ++oy) {
    int64_t ox = 0;
    for (; ox + G <= g.ow; ox += G) forward_outputs<V, Taps>(g, x, oy, ox, G, y, taps);
    if (ox < g.ow) forward_outputs<V, Taps>(g, x, oy, ox, static_cast<int>(g.ow - ox), y, taps);
  }
}

// One plane's backward: dx zeroed, then each output's gradient added at the tap that held its
// max, in the outputs' row-major order (as PyTorch's backward adds them).
template <int V>
void backward_plane(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx) {
  std::memset(dx, 0, sizeof(float) * g.ih * g.iw * V);
  for (int64_t oy = 0; oy < g.oh; ++oy)
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      const int64_t o = oy * g.ow + ox;
      const vec<V> d = load<V>(dy + o * V);
      typename Bytes<V>::type b;
      std::memcpy(&b, taps + o * V, V);
      const lanes<V> at = __builtin_convertvector(b, lanes<V>);
      float* w = dx + (oy * g.stride * g.iw + ox * g.stride) * V;
      for (int ky = 0; ky < g.kernel; ++ky)
        for (int kx = 0; kx < g.kernel; ++kx) {
          float* p = w + (ky * g.iw + kx) * V;
          store<V>(p, load<V>(p) + (at == ky * g.kernel + kx ? d : vec<V>{}));
        }
    }
}

template <int V>
void forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps) {
  const int64_t in_plane = g.ih * g.iw * V, out_plane = g.oh * g.ow * V;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.batch * g.blocks; ++p)
    if (taps)
      forward_plane<V, true>(g, x + p * in_plane, y + p * out_plane, taps + p * out_plane);
    else
      forward_plane<V, false>(g, x + p * in_plane, y + p * out_plane, nullptr);
}

template <int V>
void backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx) {
  const int64_t in_plane = g.ih * g.iw * V, out_plane = g.oh * g.ow * V;
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.batch * g.blocks; ++p)
    backward_plane<V>(g, dy + p * out_plane, taps + p * out_plane, dx + p * in_plane);
}

}  // namespace

void max_pool_forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps) {
  if (g.block == 8)
    forward<8>(g, x, y, taps);
  else
    forward<16>(g, x, y, taps);
}

void max_pool_backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx) {
  if (g.block == 8)
    backward<8>(g, dy, taps, dx);
  else
    backward<16>(g, dy, taps, dx);
}

}  // namespace alexnet::ALEXNET_SIMD_NS
