// Validation data held out of the training set (docs/spec.md §3): when no validation set is given,
// weights, early stopping and lr drops are chosen on a stratified share of the training data,
// so that the test split is looked at once, at the end. The split depends only on the data
// set, the fraction and the seed: a resumed run and every MPI rank draw the same one.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "data/dataset.hpp"

namespace alexnet {

struct HeldOut {
  std::unique_ptr<Dataset> train, val;
  std::vector<int64_t> val_indices;  // positions in the full training set, ascending
};

// Per class, round(fraction x its samples) go to validation (at least 1 of any class with 2 or
// more samples), drawn from (seed, class). fraction in (0, 1).
HeldOut hold_out(std::unique_ptr<Dataset> data, double fraction, uint64_t seed);

// The samples of `data` at `indices`, in that order (a view: `data` is shared).
std::unique_ptr<Dataset> subset(std::shared_ptr<const Dataset> data, std::vector<int64_t> indices);

}  // namespace alexnet
