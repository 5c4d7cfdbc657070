#include "train/weight_average.hpp"

#include <algorithm>

#include "model/network.hpp"

namespace alexnet {

WeightAverage::WeightAverage(float decay, Network& net)
    : decay_(decay), avg_(net.values(), net.values() + net.num_params()) {}

void WeightAverage::update(Network& net, int64_t step) {
  const float d = std::min(decay_, static_cast<float>(1 + step) / static_cast<float>(10 + step));
  const float* __restrict w = net.values();
  float* __restrict a = avg_.data();
  const int64_t n = size();
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) a[i] = d * a[i] + (1 - d) * w[i];
}

void WeightAverage::swap_with(Network& net) {
  std::swap_ranges(avg_.begin(), avg_.end(), net.values());
  net.params_changed();
}

}  // namespace alexnet
