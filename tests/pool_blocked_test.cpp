// Our max pooling (src/kernels/simd/pool_blocked.cpp) against the definition written out here,
// on both channel blockings and nhwc, overlapping and plain windows, and every instruction-set
// level of the binary this CPU can run. Inputs as pooling sees them after a ReLU: a third of
// the values are 0, so many windows tie, and the gradient must go to the first maximum of the
// window in row-major order, as PyTorch sends it; a NaN is the maximum wherever it is.
#include <gtest/gtest.h>

#include <cmath>

#include "golden.hpp"
#include "levels.hpp"
#include "kernels/pool_kernels.hpp"

namespace alexnet {
namespace {

struct Case {
  int kernel, stride, block;
  int64_t batch, channels, ih, iw;
  bool channels_last;
};

const Case kCases[] = {
    {3, 2, 8, 2, 16, 13, 13, false},  // the paper's overlapping pooling, an odd side
    {3, 2, 16, 1, 32, 12, 9, false},  // 16-channel blocks, a side the windows do not cover evenly
    {2, 2, 8, 3, 8, 6, 6, false},     // plain 2x2 windows
    {3, 2, 8, 2, 24, 13, 13, true},   // nhwc (the int8 convolutions' output), three vectors a pixel
    {3, 2, 16, 1, 32, 12, 9, true},   // nhwc, 16-channel vectors
};

PoolGeometry geometry(const Case& c) {
  const int64_t oh = (c.ih - c.kernel) / c.stride + 1, ow = (c.iw - c.kernel) / c.stride + 1;
  return {c.batch, c.channels / c.block, c.ih, c.iw, oh, ow, c.kernel, c.stride, c.block, c.channels_last};
}

// Index of (n, ch, y, x) in a tensor of h x w pixels, nChw{block}c or nhwc, written out.
int64_t at(const PoolGeometry& g, int64_t n, int64_t ch, int64_t y, int64_t x, int64_t h, int64_t w) {
  const int64_t channels = g.blocks * g.block;
  if (g.channels_last) return ((n * h + y) * w + x) * channels + ch;
  return (((n * g.blocks + ch / g.block) * h + y) * w + x) * g.block + ch % g.block;
}

// ReLU'd values: a third exactly 0; one NaN.
std::vector<float> relu_input(const PoolGeometry& g) {
  std::vector<float> x(g.batch * g.blocks * g.block * g.ih * g.iw);
  test::pattern(x.data(), static_cast<int64_t>(x.size()), 17, 1.0);
  for (float& v : x) v = v < -0.33f ? 0.f : std::round(v * 8) / 8;  // coarse: equal maxima too
  x[at(g, 0, 1, 2, 3, g.ih, g.iw)] = NAN;
  return x;
}

// The first maximum of the window at (n, ch, oy, ox) in row-major order (NaN wins), as an index of x.
int64_t argmax(const PoolGeometry& g, const std::vector<float>& x, int64_t n, int64_t ch, int64_t oy, int64_t ox) {
  int64_t best = at(g, n, ch, oy * g.stride, ox * g.stride, g.ih, g.iw);
  for (int ky = 0; ky < g.kernel; ++ky)
    for (int kx = 0; kx < g.kernel; ++kx) {
      const int64_t i = at(g, n, ch, oy * g.stride + ky, ox * g.stride + kx, g.ih, g.iw);
      if (x[i] > x[best] || (std::isnan(x[i]) && !std::isnan(x[best]))) best = i;
    }
  return best;
}

// How many values of the window equal m.
int maxima(const PoolGeometry& g, const std::vector<float>& x, int64_t n, int64_t ch, int64_t oy, int64_t ox, float m) {
  int count = 0;
  for (int ky = 0; ky < g.kernel; ++ky)
    for (int kx = 0; kx < g.kernel; ++kx) count += x[at(g, n, ch, oy * g.stride + ky, ox * g.stride + kx, g.ih, g.iw)] == m;
  return count;
}

TEST(PoolBlocked, ForwardAndBackwardFollowTheDefinition) {
  for (const Case& c : kCases)
    for (SimdLevel level : test::levels_this_cpu_runs()) {
      SCOPED_TRACE("kernel " + std::to_string(c.kernel) + " block " + std::to_string(c.block) +
                   (c.channels_last ? " nhwc" : "") + " level " + simd_level_name(level));
      const PoolGeometry g = geometry(c);
      const std::vector<float> x = relu_input(g);
      const int64_t outs = g.batch * g.blocks * g.block * g.oh * g.ow;
      std::vector<float> y(outs), dy(outs), dx(x.size(), 7.f), want_dx(x.size(), 0.f);
      std::vector<uint8_t> taps(outs);
      test::pattern(dy.data(), outs, 23, 1.0);
      max_pool_blocked_forward(g, x.data(), y.data(), taps.data(), level);
      max_pool_blocked_backward(g, dy.data(), taps.data(), dx.data(), level);
      int ties = 0, nans = 0;
      for (int64_t n = 0; n < g.batch; ++n)
        for (int64_t ch = 0; ch < c.channels; ++ch)
          for (int64_t oy = 0; oy < g.oh; ++oy)
            for (int64_t ox = 0; ox < g.ow; ++ox) {
              const int64_t o = at(g, n, ch, oy, ox, g.oh, g.ow), best = argmax(g, x, n, ch, oy, ox);
              if (std::isnan(x[best])) {
                ASSERT_TRUE(std::isnan(y[o])) << o;
                ++nans;
              } else {
                ASSERT_EQ(y[o], x[best]) << o;
              }
              ties += maxima(g, x, n, ch, oy, ox, x[best]) > 1;
              want_dx[best] += dy[o];  // in the outputs' row-major order, as PyTorch adds them
            }
      EXPECT_GT(ties, 10);  // windows whose maximum is there twice or more
      EXPECT_GT(nans, 0);
      for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(dx[i], want_dx[i]) << i;  // exact: the same sums
    }
}

// Inference keeps no taps and computes the same maxima.
TEST(PoolBlocked, InferenceWritesTheSameMaxima) {
  for (const Case& c : kCases)
    for (SimdLevel level : test::levels_this_cpu_runs()) {
      const PoolGeometry g = geometry(c);
      const std::vector<float> x = relu_input(g);
      const int64_t outs = g.batch * g.blocks * g.block * g.oh * g.ow;
      std::vector<float> trained(outs), inferred(outs);
      std::vector<uint8_t> taps(outs);
      max_pool_blocked_forward(g, x.data(), trained.data(), taps.data(), level);
      max_pool_blocked_forward(g, x.data(), inferred.data(), nullptr, level);
      for (int64_t i = 0; i < outs; ++i)
        if (!std::isnan(trained[i])) {
          ASSERT_EQ(inferred[i], trained[i]) << i;
        }
    }
}

}  // namespace
}  // namespace alexnet
