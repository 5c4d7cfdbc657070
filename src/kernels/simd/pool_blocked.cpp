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

// One plane's forward: y = the max of each window; with `taps`, also which tap of the window
// (ky * kernel + kx) held it, the first in row-major order on ties, a NaN wherever one is
// (PyTorch's rule: its backward sends the gradient to that input alone).
template <int V>
void forward_plane(const PoolGeometry& g, const float* x, float* y, uint8_t* taps) {
  for (int64_t oy = 0; oy < g.oh; ++oy)
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      const float* w = x + (oy * g.stride * g.iw + ox * g.stride) * V;
      vec<V> m = load<V>(w);
      lanes<V> at{};
      for (int ky = 0; ky < g.kernel; ++ky)
        for (int kx = 0; kx < g.kernel; ++kx) {
          const vec<V> v = load<V>(w + (ky * g.iw + kx) * V);
          const lanes<V> take = (v > m) | (v != v);
          m = take ? v : m;
          if (taps) at = take ? lanes<V>{} + (ky * g.kernel + kx) : at;
        }
      const int64_t o = oy * g.ow + ox;
      store<V>(y + o * V, m);
      if (taps) {
        const typename Bytes<V>::type b = __builtin_convertvector(at, typename Bytes<V>::type);
        std::memcpy(taps + o * V, &b, V);
      }
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
    forward_plane<V>(g, x + p * in_plane, y + p * out_plane, taps ? taps + p * out_plane : nullptr);
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
