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

namespace alexnet {
namespace {

// A loss from 0.93 down to 0.21 spans less than a decade: 1-2-5 would label only 0.5 and 1
// (and 0.2), so the axis takes 1-2-3-5 or denser; across decades 1-2-5 stays.
TEST(Plot, LogTicksLabelAnAxisWithinADecade) {
  EXPECT_EQ(log_ticks(0.21, 0.93), (std::vector<double>{0.3, 0.4, 0.5, 0.6, 0.8}));
  const auto t = log_ticks(0.25, 0.9);
  EXPECT_GE(t.size(), 4u);
  EXPECT_EQ(log_ticks(0.01, 10), (std::vector<double>{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10}));
}

// A caption longer than its image wraps, after a '/' or a space, instead of being cut.
TEST(Plot, CaptionsWrapToTheImagesWidth) {
  const std::string text = "32 conv1 kernels 5x5x3 of runs/fashion-mnist/best.safetensors";
  const auto lines = wrap_text(text, 200);
  ASSERT_GE(lines.size(), 2u);
  std::string joined;
  for (const auto& l : lines) joined += l;
  EXPECT_EQ(joined, "32 conv1 kernels 5x5x3 ofruns/fashion-mnist/best.safetensors");  // the spaces at breaks go
  EXPECT_EQ(lines.back(), "best.safetensors");
  Image img;
  img.height = img.width = 200;
  img.rgb.assign(200 * 200 * 3, 0);
  EXPECT_EQ(caption(img, text).height, 200 + 6 + 16 * static_cast<int>(lines.size()));
  EXPECT_EQ(wrap_text("short", 200), std::vector<std::string>{"short"});
}

}  // namespace
}  // namespace alexnet
