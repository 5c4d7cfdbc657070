// Feature vectors: the activations of one layer (e.g. fc7's 4096, after its ReLU) for every
// sample of a data set through the test-time path, and nearest neighbours among them by
// Euclidean distance, as the paper's Figure 4 retrieves images.
#pragma once
#include <string>
#include <vector>

#include "data/loader.hpp"
#include "model/network.hpp"

namespace alexnet {

struct Features {
  int64_t rows = 0, dim = 0;
  std::vector<float> values;          // [rows, dim]
  std::vector<std::string> names;     // per row: the file
  std::vector<int64_t> indices;       // per row: the data set index
  std::vector<std::string> failed;    // files that did not decode
};

Features extract_features(Network& net, const Dataset& data, const TransformConfig& tf,
                          const std::string& layer, int batch, int workers);

struct Neighbour {
  int64_t row;
  double distance;
};
std::vector<Neighbour> nearest(const Features& f, const float* query, int k, int64_t skip_row = -1);

}  // namespace alexnet
