#include "data/split.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/error.hpp"
#include "util/rng.hpp"

namespace alexnet {

namespace {

class Subset : public Dataset {
 public:
  Subset(std::shared_ptr<const Dataset> d, std::vector<int64_t> idx) : d_(std::move(d)), idx_(std::move(idx)) {
    path_ = d_->path();
    kind_ = d_->kind();
    class_names_ = d_->class_names();
  }
  int64_t size() const override { return static_cast<int64_t>(idx_.size()); }
  int32_t label(int64_t i) const override { return d_->label(idx_[i]); }
  Image read(int64_t i) const override { return d_->read(idx_[i]); }
  std::string name_of(int64_t i) const override { return d_->name_of(idx_[i]); }

 private:
  std::shared_ptr<const Dataset> d_;
  std::vector<int64_t> idx_;
};

}  // namespace

std::unique_ptr<Dataset> subset(std::shared_ptr<const Dataset> data, std::vector<int64_t> indices) {
  return std::make_unique<Subset>(std::move(data), std::move(indices));
}

HeldOut hold_out(std::unique_ptr<Dataset> data, double fraction, uint64_t seed) {
  if (!(fraction > 0 && fraction < 1)) fail("--val-split must be between 0 and 1, got " + std::to_string(fraction));
  std::shared_ptr<const Dataset> all(std::move(data));
  std::vector<std::vector<int64_t>> by_class(std::max(1, all->classes()));
  for (int64_t i = 0; i < all->size(); ++i) {
    const int32_t y = all->label(i);
    if (y >= static_cast<int32_t>(by_class.size())) by_class.resize(y + 1);
    by_class[y].push_back(i);
  }
  std::vector<char> is_val(all->size(), 0);
  for (size_t c = 0; c < by_class.size(); ++c) {
    auto& v = by_class[c];
    if (v.size() < 2) continue;  // a class of one sample stays in training
    Rng rng(hash3(seed, 0x5E1EC7, c));
    for (size_t i = v.size() - 1; i > 0; --i) std::swap(v[i], v[rng.below(static_cast<uint32_t>(i + 1))]);
    const size_t k = std::clamp<size_t>(static_cast<size_t>(std::lround(fraction * v.size())), 1, v.size() - 1);
    for (size_t i = 0; i < k; ++i) is_val[v[i]] = 1;
  }
  std::vector<int64_t> train, val;
  for (int64_t i = 0; i < all->size(); ++i) (is_val[i] ? val : train).push_back(i);
  HeldOut h;
  h.val_indices = val;
  h.train = subset(all, std::move(train));
  h.val = subset(all, std::move(val));
  return h;
}

}  // namespace alexnet
