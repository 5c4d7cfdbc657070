// The validation split held out of the training data: disjoint, stratified, and the same for
// the same (data, fraction, seed), whoever draws it (a resumed run, another MPI rank).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "data/split.hpp"

namespace alexnet {
namespace {

// Labels only: sample i has class i % classes, except that class 3 has a single sample.
class Labels : public Dataset {
 public:
  Labels(int64_t n, int classes) : n_(n) {
    for (int c = 0; c < classes; ++c) class_names_.push_back("c" + std::to_string(c));
  }
  int64_t size() const override { return n_; }
  int32_t label(int64_t i) const override {
    const int32_t c = static_cast<int32_t>(i % classes());
    return c == 3 && i != 3 ? 0 : c;
  }
  Image read(int64_t) const override { return {}; }
  std::string name_of(int64_t i) const override { return std::to_string(i); }

 private:
  int64_t n_;
};

std::vector<int64_t> positions(const Dataset& d) {
  std::vector<int64_t> p;
  for (int64_t i = 0; i < d.size(); ++i) p.push_back(std::stoll(d.name_of(i)));
  return p;
}

TEST(Split, HeldOutIsDisjointStratifiedAndDeterministic) {
  HeldOut h = hold_out(std::make_unique<Labels>(6000, 10), 1.0 / 12, 7);
  const auto train = positions(*h.train), val = positions(*h.val);
  EXPECT_EQ(train.size() + val.size(), 6000u);
  std::set<int64_t> seen(train.begin(), train.end());
  for (int64_t v : val) EXPECT_EQ(seen.count(v), 0u) << "sample " << v << " in both";
  seen.insert(val.begin(), val.end());
  EXPECT_EQ(seen.size(), 6000u);
  EXPECT_EQ(val, h.val_indices);
  // per class: round(600 / 12) = 50; class 0 has 600 + 599 = 1199 -> 100; class 3 (one sample) none
  std::vector<int> per_class(10, 0);
  for (int64_t i = 0; i < h.val->size(); ++i) ++per_class[h.val->label(i)];
  EXPECT_EQ(per_class[0], 100);
  EXPECT_EQ(per_class[3], 0);
  for (int c : {1, 2, 4, 5, 6, 7, 8, 9}) EXPECT_EQ(per_class[c], 50) << "class " << c;

  HeldOut again = hold_out(std::make_unique<Labels>(6000, 10), 1.0 / 12, 7);
  EXPECT_EQ(positions(*again.val), val);
  HeldOut other = hold_out(std::make_unique<Labels>(6000, 10), 1.0 / 12, 8);
  EXPECT_NE(positions(*other.val), val);
}

TEST(Split, TinyClassesKeepOneForTrainingAndBadFractionsAreErrors) {
  HeldOut h = hold_out(std::make_unique<Labels>(20, 10), 0.5, 1);  // classes of 2 (and 1, and 3)
  std::vector<int> val_per_class(10, 0), train_per_class(10, 0);
  for (int64_t i = 0; i < h.val->size(); ++i) ++val_per_class[h.val->label(i)];
  for (int64_t i = 0; i < h.train->size(); ++i) ++train_per_class[h.train->label(i)];
  for (int c = 0; c < 10; ++c) EXPECT_GE(train_per_class[c], 1) << "class " << c;
  EXPECT_EQ(val_per_class[5], 1);
  EXPECT_ANY_THROW(hold_out(std::make_unique<Labels>(20, 10), 1.0, 1));
  EXPECT_ANY_THROW(hold_out(std::make_unique<Labels>(20, 10), -0.1, 1));
}

}  // namespace
}  // namespace alexnet
