// Axis ticks of the training curves land on round values.
#include <gtest/gtest.h>

#include "image/plot.hpp"

namespace alexnet {
namespace {

TEST(Plot, TicksAreRoundAndCoverTheData) {
  double lo = 1, hi = 17;  // epochs 1..17
  EXPECT_EQ(nice_ticks(lo, hi, 6), (std::vector<double>{0, 5, 10, 15, 20}));
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 20);
  lo = 6.8, hi = 68.2;  // error percentages
  EXPECT_EQ(nice_ticks(lo, hi, 5), (std::vector<double>{0, 20, 40, 60, 80}));
  lo = 0.123, hi = 0.171;  // steps of 0.01, from 0.12 to 0.18
  const auto t = nice_ticks(lo, hi, 5);
  ASSERT_EQ(t.size(), 7u);
  EXPECT_NEAR(t[0], 0.12, 1e-12);
  EXPECT_NEAR(t[1] - t[0], 0.01, 1e-12);
  EXPECT_NEAR(t.back(), 0.18, 1e-12);
}

TEST(Plot, ChartsDrawWithoutNegativeErrors) {
  Series s{"val top-1", {1, 2, 3}, {30.0, 12.5, 8.6}};
  const Image img = line_chart("error (%)", "epoch", {s}, false, 320, 200);
  EXPECT_EQ(img.width, 320);
  EXPECT_EQ(img.height, 200);
}

}  // namespace
}  // namespace alexnet
