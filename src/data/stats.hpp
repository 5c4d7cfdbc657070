// Statistics of a training set for the input pipeline (docs/spec.md §2): the mean image (S x S, the
// paper's mean subtraction), the per-channel mean and std (0-255), and the eigen-decomposition
// of the RGB covariance (0-1 scale) for fancy-PCA colour noise.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/transform.hpp"

namespace alexnet {

struct DataStats {
  int resize = 0;
  int64_t images = 0;
  std::vector<float> mean_image;  // S x S x 3, HWC, 0-255
  Normalization norm;
  ColorPca pca;
};

// Over at most max_images images spread evenly over the data set (all if 0), decoded in
// parallel with `workers` threads; files that do not decode are skipped.
DataStats compute_stats(const Dataset& data, int resize, int64_t max_images, int workers);
void save_stats(const std::string& path, const DataStats& s);
// A file of `alexnet stats`, or Caffe's mean image (.binaryproto: the mean image, its channel
// means, ImageNet's colour statistics).
DataStats load_stats(const std::string& path);

}  // namespace alexnet
