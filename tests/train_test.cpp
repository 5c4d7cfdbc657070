// Schedules' lr sequences, top-k and 10-crop arithmetic on known numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "infer/metrics.hpp"
#include "train/schedule.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

TEST(Schedule, PlateauDividesByTenAfterPatienceAndStopsAfterMaxDrops) {
  ScheduleConfig c;
  c.kind = "plateau";
  c.base_lr = 0.01f;
  c.patience = 2;
  c.max_drops = 2;
  LrSchedule s(c);
  const double errors[] = {0.5, 0.4, 0.4, 0.41, 0.39, 0.39, 0.39, 0.39, 0.39, 0.39};
  std::vector<float> lrs;
  for (int e = 0; e < 10; ++e) {
    s.end_epoch(e, errors[e]);
    lrs.push_back(s.lr());
  }
  // improvements at epochs 0, 1, 4; two epochs without one -> a drop (after 3 and after 6);
  // the third drop is refused (max_drops 2).
  const std::vector<float> want{0.01f, 0.01f, 0.01f, 0.001f, 0.001f, 0.001f, 0.0001f, 0.0001f, 0.0001f, 0.0001f};
  ASSERT_EQ(lrs.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(lrs[i], want[i], 1e-9) << "after epoch " << i;
  // The state survives a checkpoint.
  LrSchedule t(c);
  t.restore(s.state());
  EXPECT_EQ(t.lr(), s.lr());
  EXPECT_EQ(t.drops(), 2);
}

TEST(Schedule, StepsAtGivenEpochs) {
  ScheduleConfig c;
  c.kind = "step";
  c.base_lr = 0.1f;
  c.steps = {3, 5};
  LrSchedule s(c);
  const float want[] = {0.1f, 0.1f, 0.01f, 0.01f, 0.001f, 0.001f};
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(s.lr_at(e, 0.5), want[e], 1e-9) << e;
}

TEST(Schedule, CosineFromBaseToZero) {
  ScheduleConfig c;
  c.kind = "cosine";
  c.base_lr = 0.05f;
  c.epochs = 4;
  LrSchedule s(c);
  EXPECT_NEAR(s.lr_at(0, 0), 0.05, 1e-9);
  EXPECT_NEAR(s.lr_at(2, 0), 0.025, 1e-7);
  EXPECT_NEAR(s.lr_at(1, 0), 0.025 * (1 + std::cos(M_PI / 4)), 1e-7);
  EXPECT_NEAR(s.lr_at(3, 1.0), 0.0, 1e-9);
}

TEST(Schedule, BadConfigurationsAreUserErrors) {
  ScheduleConfig c;
  c.kind = "sometimes";
  EXPECT_THROW(LrSchedule{c}, UserError);
  c.kind = "step";
  EXPECT_THROW(LrSchedule{c}, UserError);  // no steps
  c.kind = "fixed";
  c.base_lr = -1;
  EXPECT_THROW(LrSchedule{c}, UserError);
}

TEST(Metrics, TopKOnKnownScoresWithTies) {
  const float s[] = {0.1f, 0.5f, 0.2f, 0.5f, 0.05f, 0.05f};
  EXPECT_TRUE(in_top_k(s, 6, 1, 1));   // 0.5 first among equals
  EXPECT_FALSE(in_top_k(s, 6, 3, 1));  // the tie goes to the earlier class
  EXPECT_TRUE(in_top_k(s, 6, 3, 2));
  EXPECT_FALSE(in_top_k(s, 6, 0, 3));  // 0.5, 0.5, 0.2 rank above 0.1
  EXPECT_TRUE(in_top_k(s, 6, 0, 4));
  EXPECT_TRUE(in_top_k(s, 6, 5, 6));
  EXPECT_FALSE(in_top_k(s, 6, 5, 5));
  EXPECT_EQ(argmax(s, 6), 1);
}

TEST(Metrics, TenCropAveragingOfSoftmaxOutputs) {
  // 2 samples x 10 views x 3 classes: sample 0's views alternate between two distributions,
  // sample 1's are all the same.
  std::vector<float> p(2 * 10 * 3);
  for (int v = 0; v < 10; ++v) {
    const float a[3] = {0.7f, 0.2f, 0.1f}, b[3] = {0.1f, 0.3f, 0.6f};
    for (int j = 0; j < 3; ++j) {
      p[(0 * 10 + v) * 3 + j] = v % 2 ? b[j] : a[j];
      p[(1 * 10 + v) * 3 + j] = b[j];
    }
  }
  const auto avg = average_views(p.data(), 2, 10, 3);
  EXPECT_NEAR(avg[0], 0.4, 1e-6);
  EXPECT_NEAR(avg[1], 0.25, 1e-6);
  EXPECT_NEAR(avg[2], 0.35, 1e-6);
  EXPECT_NEAR(avg[5], 0.6, 1e-6);
  EXPECT_EQ(argmax(avg.data(), 3), 0);  // the average decides, not the majority of views
}

TEST(Metrics, ConfusionCounts) {
  Confusion c(3);
  c.add(0, 0);
  c.add(0, 2);
  c.add(2, 2);
  EXPECT_EQ(c.counts[0 * 3 + 2], 1);
  EXPECT_EQ(c.counts[2 * 3 + 2], 1);
  EXPECT_EQ(c.counts[1 * 3 + 1], 0);
}

}  // namespace
}  // namespace alexnet
