// Schedules' lr sequences, the weights' moving average, top-k and 10-crop arithmetic on known numbers.
#include <gtest/gtest.h>

#include <cmath>

#include "infer/metrics.hpp"
#include "model/arch.hpp"
#include "model/network.hpp"
#include "train/schedule.hpp"
#include "train/time_budget.hpp"
#include "train/weight_average.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

TEST(Schedule, PlateauDividesByTenAfterPatienceAndStopsAfterMaxDrops) {
  ScheduleConfig c;
  c.kind = ScheduleKind::plateau;
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
  c.kind = ScheduleKind::step;
  c.base_lr = 0.1f;
  c.steps = {3, 5};
  LrSchedule s(c);
  const float want[] = {0.1f, 0.1f, 0.01f, 0.01f, 0.001f, 0.001f};
  for (int e = 0; e < 6; ++e) EXPECT_NEAR(s.lr_at(e, 0.5), want[e], 1e-9) << e;
}

TEST(Schedule, CosineFromBaseToZero) {
  ScheduleConfig c;
  c.kind = ScheduleKind::cosine;
  c.base_lr = 0.05f;
  c.epochs = 4;
  LrSchedule s(c);
  EXPECT_NEAR(s.lr_at(0, 0), 0.05, 1e-9);
  EXPECT_NEAR(s.lr_at(2, 0), 0.025, 1e-7);
  EXPECT_NEAR(s.lr_at(1, 0), 0.025 * (1 + std::cos(M_PI / 4)), 1e-7);
  EXPECT_NEAR(s.lr_at(3, 1.0), 0.0, 1e-9);
}

// A cosine of 10 epochs re-planned to 6 after epoch 3: the lr goes on from where it was, and
// reaches zero at the end of epoch 6; re-planned again to 8 after epoch 4, the same.
TEST(Schedule, CosineReplannedGoesOnFromItsLrAndEndsAtTheNewEnd) {
  ScheduleConfig c;
  c.kind = ScheduleKind::cosine;
  c.base_lr = 0.05f;
  c.epochs = 10;
  LrSchedule s(c);
  const float at3 = s.lr_at(3, 0);
  s.set_length(6, 3);
  EXPECT_FLOAT_EQ(s.lr_at(3, 0), at3);
  EXPECT_NEAR(s.lr_at(5, 1.0), 0.0, 1e-9);
  EXPECT_GT(s.lr_at(4, 0), s.lr_at(5, 0));
  const float at4 = s.lr_at(4, 0);
  s.set_length(8, 4);
  EXPECT_FLOAT_EQ(s.lr_at(4, 0), at4);
  EXPECT_NEAR(s.lr_at(7, 1.0), 0.0, 1e-9);
  LrSchedule restored(c);  // a checkpoint keeps where the decay stands
  restored.restore(s.state());
  EXPECT_FLOAT_EQ(restored.lr_at(6, 0.5), s.lr_at(6, 0.5));
  ScheduleConfig p;  // the paper's schedule counts no epochs
  LrSchedule plateau(p);
  plateau.set_length(3, 1);
  EXPECT_FLOAT_EQ(plateau.lr_at(2, 0), 0.01f);
}

// The budget's second look, on known numbers: 840 s, 30 epochs at most.
TEST(TimeBudget, ReplansFromThePaceMeasured) {
  // A busy start planned 13 epochs; the first took 20 s: 820 s left hold 38 more, capped at 30.
  EXPECT_EQ(replanned_epochs(13, 1, 30, 840, 20, 20), 30);
  // Planned 30 at 20 s; the machine slowed to 40 s an epoch after 10 (200 s): 640 s left,
  // 0.95 * 640 / 40 = 15.2, so 15 more: 25.
  EXPECT_EQ(replanned_epochs(30, 10, 30, 840, 200, 40), 25);
  // 25 planned: no change at 40 s, nor when the pace wobbles by a few percent either way
  // (at 41 s the 15 left end at 815 s, inside the budget; another does not fit at 39 s).
  EXPECT_EQ(replanned_epochs(25, 10, 30, 840, 200, 40), 25);
  EXPECT_EQ(replanned_epochs(25, 10, 30, 840, 200, 39), 25);
  EXPECT_EQ(replanned_epochs(25, 10, 30, 840, 200, 41), 25);
  // At 44 s they would end at 860 s: shortened to 10 + 0.95 * 640 / 44 (13.8) = 23.
  EXPECT_EQ(replanned_epochs(25, 10, 30, 840, 200, 44), 23);
  // Near the end the margin is 30% of an epoch: after 27 epochs (780 s), 60 s left at 28 s an
  // epoch hold 2 more with 5% (57 s) but 1 with 8.4 s kept; at 25 s, 2 (52.5 s).
  EXPECT_EQ(replanned_epochs(28, 27, 40, 840, 780, 28), 28);
  EXPECT_EQ(replanned_epochs(28, 27, 40, 840, 780, 25), 29);
  // The budget is spent: stop after this epoch, never fewer than those done.
  EXPECT_EQ(replanned_epochs(25, 20, 30, 840, 850, 40), 20);
  EXPECT_EQ(replanned_epochs(25, 20, 30, 840, 800, 0), 25);  // no pace measured: keep the plan
  // The pace: the median of the last three epochs, so that one odd epoch moves nothing.
  EXPECT_EQ(recent_pace({}), 0);
  EXPECT_EQ(recent_pace({37}), 37);
  EXPECT_EQ(recent_pace({37, 45}), 41);
  EXPECT_EQ(recent_pace({37, 45, 40}), 40);
  EXPECT_EQ(recent_pace({90, 37, 45, 40, 39}), 40);
  EXPECT_EQ(recent_pace({20, 20, 50}), 20);
}

TEST(Schedule, BadConfigurationsAreUserErrors) {
  EXPECT_THROW(schedule_from_name("sometimes"), UserError);
  EXPECT_EQ(schedule_from_name("cosine"), ScheduleKind::cosine);
  ScheduleConfig c;
  c.kind = ScheduleKind::step;
  EXPECT_THROW(LrSchedule{c}, UserError);  // no steps
  c.kind = ScheduleKind::fixed;
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

// avg <- d avg + (1 - d) w with d = min(decay, (1 + t) / (10 + t)): 0.1 at step 0 (the start
// is forgotten at once), the decay itself from step 80 on (81/90 = 0.9).
TEST(WeightAverage, FollowsTheWeightsWithAWarmUpOfTheDecay) {
  Network net(arch_by_name("alexnet-mini"), 10);
  net.init(InitKind::kaiming, 1);
  const int64_t n = net.num_params();
  const std::vector<float> w0(net.values(), net.values() + n);
  WeightAverage avg(0.9f, net);
  for (int64_t i = 0; i < n; ++i) net.values()[i] = w0[i] + 1;
  avg.update(net, 0);
  for (int64_t i : {int64_t{0}, n / 2, n - 1}) EXPECT_NEAR(avg.data()[i], w0[i] + 0.9f, 1e-5) << i;
  for (int64_t i = 0; i < n; ++i) net.values()[i] = w0[i] + 2;
  avg.update(net, 100);
  for (int64_t i : {int64_t{0}, n / 2, n - 1}) EXPECT_NEAR(avg.data()[i], w0[i] + 0.9f * 0.9f + 0.1f * 2, 1e-5) << i;
  // Swapped in for evaluation, and back.
  const std::vector<float> a(avg.data(), avg.data() + n);
  avg.swap_with(net);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), net.values()));
  avg.swap_with(net);
  EXPECT_EQ(net.values()[n - 1], w0[n - 1] + 2);
  EXPECT_TRUE(std::equal(a.begin(), a.end(), avg.data()));
}

}  // namespace
}  // namespace alexnet
