#include "train/sgd.hpp"

namespace alexnet {

void sgd_step(float* __restrict w, const float* __restrict grad, float* __restrict v, int64_t n,
              const SgdConfig& c) {
  const float m = c.momentum, decay = c.weight_decay * c.lr, lr = c.lr;
#pragma omp parallel for simd schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    v[i] = m * v[i] - decay * w[i] - lr * grad[i];
    w[i] += v[i];
  }
}

void sgd_step(float* w, const float* grad, float* v, const std::vector<ParamRange>& ranges, const SgdConfig& c) {
  for (const ParamRange& r : ranges) {
    SgdConfig rc = c;
    rc.lr = c.lr * r.lr_mult;
    sgd_step(w + r.offset, grad + r.offset, v + r.offset, r.size, rc);
  }
}

}  // namespace alexnet
