// Our blocked LRN kernels (src/kernels/simd/lrn_blocked.cpp) against the formula of docs/spec.md §1 written
// out, and their backward against finite differences of their forward, for both channel
// blockings, window sizes 5 and 3, channels spanning several blocks (the window crosses blocks),
// and every instruction-set level of the binary this CPU can run (the generic one included).
#include <gtest/gtest.h>

#include <cmath>

#include "golden.hpp"
#include "levels.hpp"
#include "layers/lrn.hpp"
#include "kernels/lrn_blocked.hpp"

namespace alexnet {
namespace {

// Index of (n, c, p) in batch x channels x hw stored in blocks of `block` channels.
int64_t blocked(int64_t n, int64_t c, int64_t p, int64_t channels, int64_t hw, int block) {
  return ((n * (channels / block) + c / block) * hw + p) * block + c % block;
}

struct Case {
  LrnParams p;
  int block;
  int64_t batch, channels, hw;
};

const Case kCases[] = {
    {{5, 1e-4f, 0.75f, 2.f}, 8, 2, 24, 7},   // docs/spec.md's LRN, three blocks of 8
    {{5, 2.f, 0.75f, 2.f}, 16, 2, 32, 5},    // a large alpha: the window's term dominates
    {{3, 0.3f, 0.75f, 1.f}, 8, 1, 16, 6},    // another window and k (Caffe's k = 1)
};

std::string trace(const Case& c, SimdLevel level) {
  return "block " + std::to_string(c.block) + " size " + std::to_string(c.p.size) + " level " +
         simd_level_name(level);
}

TEST(LrnBlocked, ForwardMatchesTheFormulaOfSpec) {
  for (const Case& c : kCases)
    for (SimdLevel level : test::levels_this_cpu_runs()) {
      SCOPED_TRACE(trace(c, level));
      std::vector<float> x(c.batch * c.channels * c.hw), y(x.size());
      test::pattern(x.data(), static_cast<int64_t>(x.size()), 5, c.p.alpha < 1e-3f ? 60.0 : 2.0);
      lrn_blocked_forward(c.p, c.block, x.data(), y.data(), c.batch, c.channels, c.hw, level);
      const int half = (c.p.size - 1) / 2;
      double max_effect = 0;
      for (int64_t n = 0; n < c.batch; ++n)
        for (int64_t i = 0; i < c.channels; ++i)
          for (int64_t p = 0; p < c.hw; ++p) {
            double s = 0;
            for (int64_t j = std::max<int64_t>(0, i - half); j <= std::min<int64_t>(c.channels - 1, i + half); ++j) {
              const double v = x[blocked(n, j, p, c.channels, c.hw, c.block)];
              s += v * v;
            }
            const double a = x[blocked(n, i, p, c.channels, c.hw, c.block)];
            const double want = a / std::pow(c.p.k + c.p.alpha / c.p.size * s, 0.75);
            const double got = y[blocked(n, i, p, c.channels, c.hw, c.block)];
            ASSERT_NEAR(got, want, 1e-6 * std::abs(want) + 1e-7) << n << " " << i << " " << p;
            max_effect = std::max(max_effect, std::abs(want - a / std::pow(c.p.k, 0.75)));
          }
      EXPECT_GT(max_effect, 1e-2);  // the window sums really changed the outputs
    }
}

TEST(LrnBlocked, BackwardMatchesFiniteDifferences) {
  for (const Case& c : kCases)
    for (SimdLevel level : test::levels_this_cpu_runs()) {
      SCOPED_TRACE(trace(c, level));
      const int64_t size = c.batch * c.channels * c.hw;
      std::vector<float> x(size), r(size), y(size), dx(size);
      test::pattern(x.data(), size, 3, c.p.alpha < 1e-3f ? 60.0 : 2.0);
      test::pattern(r.data(), size, 9, 2.0);
      lrn_blocked_backward(c.p, c.block, x.data(), r.data(), dx.data(), c.batch, c.channels, c.hw, level);
      auto loss = [&] {  // sum r . y, in double
        lrn_blocked_forward(c.p, c.block, x.data(), y.data(), c.batch, c.channels, c.hw, level);
        double l = 0;
        for (int64_t i = 0; i < size; ++i) l += static_cast<double>(r[i]) * y[i];
        return l;
      };
      double scale = 0;
      for (float g : dx) scale = std::max(scale, static_cast<double>(std::abs(g)));
      const float eps = 1e-2f;  // central differences: error ~eps^2, far below the tolerance
      for (int64_t i : test::sample_index(size, 40)) {
        const float keep = x[i];
        x[i] = keep + eps;
        const double up = loss();
        x[i] = keep - eps;
        const double down = loss();
        x[i] = keep;
        EXPECT_NEAR(dx[i], (up - down) / (2 * eps), 2e-3 * scale) << "x[" << i << "]";
      }
    }
}

}  // namespace
}  // namespace alexnet
