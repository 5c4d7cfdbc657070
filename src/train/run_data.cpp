#include "train/run_data.hpp"

#include "data/split.hpp"

namespace alexnet {

namespace {

std::unique_ptr<Dataset> open_limited(const std::string& path, const std::string& kind,
                                      DatasetSplit split, int64_t limit) {
  return take_prefix(open_dataset(path, kind, split), limit);
}

}  // namespace

// Validation is --val, else a share of the training data held out (never the test split:
// choosing weights and lr drops on it would make the test number the best of many looks).
RunData open_run_data(const TrainConfig& c) {
  RunData d;
  d.train = open_limited(c.data.data, c.data.data_kind, DatasetSplit::train, c.data.limit);
  if (!c.data.val.empty()) {
    d.val = open_limited(c.data.val, "auto", DatasetSplit::test, c.data.val_limit);
  } else if (c.data.val_split > 0) {
    HeldOut h = hold_out(std::move(d.train), c.data.val_split, c.seed);
    d.train = std::move(h.train);
    d.val = take_prefix(std::move(h.val), c.data.val_limit);
  }
  if (d.val) d.val = align_classes(std::move(d.val), d.train->class_names());
  return d;
}

}  // namespace alexnet
