// Top-k arithmetic and the confusion matrix.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace alexnet {

// Is `label` among the k largest of scores[0..classes)? Ties count against the label
// (a class with an equal score that comes first ranks above it).
bool in_top_k(const float* scores, int classes, int32_t label, int k);

// Averages `views` consecutive rows of probabilities (the 10 crops of one sample).
std::vector<float> average_views(const float* probs, int samples, int views, int classes);

struct Confusion {
  int classes;
  std::vector<int64_t> counts;  // [true][predicted]
  explicit Confusion(int k) : classes(k), counts(static_cast<size_t>(k) * k, 0) {}
  void add(int32_t truth, int32_t predicted) { counts[static_cast<size_t>(truth) * classes + predicted]++; }
};

int32_t argmax(const float* scores, int classes);

}  // namespace alexnet
