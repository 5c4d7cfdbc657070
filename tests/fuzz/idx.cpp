// IDX (MNIST's format), gzipped or not: both files of a training split as a data set opens
// them, then its first samples. The input holds the two files (fuzz::split_in_two): the
// images, then the labels.
#include "data/dataset.hpp"
#include "fuzz_target.hpp"

ALEXNET_FUZZ_TARGET({
  const auto [images, labels] = alexnet::fuzz::split_in_two(bytes);
  const std::string dir = alexnet::fuzz::scratch_dir();
  alexnet::fuzz::write_bytes(dir + "/train-images-idx3-ubyte", images);
  alexnet::fuzz::write_bytes(dir + "/train-labels-idx1-ubyte", labels);
  const auto data = alexnet::open_dataset(dir, "idx", alexnet::DatasetSplit::train);
  for (int64_t i = 0; i < std::min<int64_t>(data->size(), 8); ++i) {
    data->label(i);
    data->read(i);
  }
})
