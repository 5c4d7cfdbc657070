// A run's training and validation data, opened as its configuration says: --val, else the
// share of the training data held out (data/split.hpp). One function, so that `alexnet eval
// --held-out RUN` measures on exactly the images the run chose its weights on.
#pragma once
#include <memory>

#include "data/dataset.hpp"
#include "train/train_config.hpp"

namespace alexnet {

struct RunData {
  std::unique_ptr<Dataset> train, val;  // val: null when the run validates on nothing
};

RunData open_run_data(const TrainConfig& c);

}  // namespace alexnet
