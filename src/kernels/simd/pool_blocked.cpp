// Max pooling on the blocked layouts and nhwc (kernels/pool_kernels.hpp), forward and backward,
// a vector of channels at a time. Compiled once per instruction-set level (simd/simd_kernels.hpp).
// On the blocked layouts each (image, channel block) plane is one task: its input (at most a few
// tens of KB) stays in the core's caches while the windows overlap, and the backward adds into it
// tap by tap. On nhwc (inference's int8 networks) a task is a row of outputs (forward below).
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
  const int64_t px = g.pixel(), step = g.stride * px;
  const float* w = x + (oy * g.stride * g.iw + ox * g.stride) * px;
  for (int j = 0; j < n; ++j) m[j] = load<V>(w + j * step);
  for (int ky = 0; ky < g.kernel; ++ky)
    for (int kx = 0; kx < g.kernel; ++kx) {
      const int64_t offset = (ky * g.iw + kx) * px;
      for (int j = 0; j < n; ++j) {
        const vec<V> v = load<V>(w + j * step + offset);
        const lanes<V> take = (v > m[j]) | (v != v);
        m[j] = take ? v : m[j];
        if (Taps) at[j] = take ? lanes<V>{} + (ky * g.kernel + kx) : at[j];
      }
    }
  const int64_t o = oy * g.ow + ox;
  for (int j = 0; j < n; ++j) {
    store<V>(y + (o + j) * px, m[j]);
    if (Taps) {
      const typename Bytes<V>::type b = __builtin_convertvector(at[j], typename Bytes<V>::type);
      std::memcpy(taps + (o + j) * px, &b, V);
    }
  }
}

// Row oy of one plane's forward, G outputs at a time.
template <int V, bool Taps>
void forward_row(const PoolGeometry& g, const float* x, int64_t oy, float* y, uint8_t* taps) {
  int64_t ox = 0;
  for (; ox + G <= g.ow; ox += G) forward_outputs<V, Taps>(g, x, oy, ox, G, y, taps);
  if (ox < g.ow) forward_outputs<V, Taps>(g, x, oy, ox, static_cast<int>(g.ow - ox), y, taps);
}

// One plane's backward: dx zeroed, then each output's gradient added at the tap that held its
// max, in the outputs' row-major order (as PyTorch's backward adds them).
template <int V>
void backward_plane(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx) {
  const int64_t px = g.pixel();
  for (int64_t i = 0; i < g.ih * g.iw; ++i) store<V>(dx + i * px, vec<V>{});
  for (int64_t oy = 0; oy < g.oh; ++oy)
    for (int64_t ox = 0; ox < g.ow; ++ox) {
      const int64_t o = (oy * g.ow + ox) * px;
      const vec<V> d = load<V>(dy + o);
      typename Bytes<V>::type b;
      std::memcpy(&b, taps + o, V);
      const lanes<V> at = __builtin_convertvector(b, lanes<V>);
      float* w = dx + (oy * g.stride * g.iw + ox * g.stride) * px;
      for (int ky = 0; ky < g.kernel; ++ky)
        for (int kx = 0; kx < g.kernel; ++kx) {
          float* p = w + (ky * g.iw + kx) * px;
          store<V>(p, load<V>(p) + (at == ky * g.kernel + kx ? d : vec<V>{}));
        }
    }
}

// The taps are laid out as the output: one byte where the output has a float. On the blocked
// layouts a task is a plane; on nhwc a row of an image, each group of windows over all its
// channel blocks (a plane's vectors there are a pixel apart: a plane at a time would bring each
// cache line in once per block).
template <int V, bool Taps>
void forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps) {
  if (!g.channels_last) {
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < g.batch * g.blocks; ++p) {
      const int64_t in = g.plane(p, g.ih, g.iw), out = g.plane(p, g.oh, g.ow);
      for (int64_t oy = 0; oy < g.oh; ++oy) forward_row<V, Taps>(g, x + in, oy, y + out, Taps ? taps + out : nullptr);
    }
    return;
  }
#pragma omp parallel for schedule(static)
  for (int64_t row = 0; row < g.batch * g.oh; ++row) {
    const int64_t p = row / g.oh * g.blocks, in = g.plane(p, g.ih, g.iw), out = g.plane(p, g.oh, g.ow), oy = row % g.oh;
    for (int64_t ox = 0; ox < g.ow; ox += G)  // G windows, every block of their channels
      for (int64_t b = 0; b < g.blocks; ++b)
        forward_outputs<V, Taps>(g, x + in + b * V, oy, ox, static_cast<int>(g.ow - ox < G ? g.ow - ox : G),
                                 y + out + b * V, Taps ? taps + out + b * V : nullptr);
  }
}

template <int V>
void backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx) {
#pragma omp parallel for schedule(static)
  for (int64_t p = 0; p < g.batch * g.blocks; ++p) {
    const int64_t out = g.plane(p, g.oh, g.ow);
    backward_plane<V>(g, dy + out, taps + out, dx + g.plane(p, g.ih, g.iw));
  }
}

}  // namespace

void max_pool_forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps) {
  if (g.block == 8)
    taps ? forward<8, true>(g, x, y, taps) : forward<8, false>(g, x, y, nullptr);
  else
    taps ? forward<16, true>(g, x, y, taps) : forward<16, false>(g, x, y, nullptr);
}

void max_pool_backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx) {
  if (g.block == 8)
    backward<8>(g, dy, taps, dx);
  else
    backward<16>(g, dy, taps, dx);
}

}  // namespace alexnet::ALEXNET_SIMD_NS
