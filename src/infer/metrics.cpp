#include "infer/metrics.hpp"

namespace alexnet {

bool in_top_k(const float* s, int classes, int32_t label, int k) {
  const float v = s[label];
  int above = 0;
  for (int j = 0; j < classes; ++j)
    if (s[j] > v || (s[j] == v && j < label)) ++above;
  return above < k;
}

std::vector<float> average_views(const float* p, int samples, int views, int classes) {
  std::vector<float> out(static_cast<size_t>(samples) * classes, 0.f);
  for (int i = 0; i < samples; ++i)
    for (int v = 0; v < views; ++v)
      for (int j = 0; j < classes; ++j)
        out[static_cast<size_t>(i) * classes + j] += p[(static_cast<size_t>(i) * views + v) * classes + j] / views;
  return out;
}

int32_t argmax(const float* s, int classes) {
  int32_t best = 0;
  for (int j = 1; j < classes; ++j)
    if (s[j] > s[best]) best = j;
  return best;
}

}  // namespace alexnet
