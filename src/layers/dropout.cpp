#include "layers/dropout.hpp"

#include <cstring>

namespace alexnet {

md Dropout::setup(const md& in, Mode mode, bool) {
  mode_ = mode;
  row_units_ = numel(in.dims()) / in.dims()[0];
  mask_.assign(mode == Mode::train ? numel(in.dims()) : 0, 0.f);
  return plain_md(in.dims());
}

void Dropout::forward(const Tensor& in, const Tensor& out) {
  const int64_t n = in.size();
  const float* x = in.data();
  float* y = out.data();
  if (mode_ == Mode::eval || p_ <= 0.f) {
    std::memcpy(y, x, sizeof(float) * n);
    if (mode_ == Mode::train) std::fill(mask_.begin(), mask_.end(), 1.f);
    return;
  }
  const float scale = 1.f / (1.f - p_);
  float* m = mask_.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    m[i] = keeps(i) ? scale : 0.f;
    y[i] = x[i] * m[i];
  }
}

void Dropout::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (d_in.empty()) return;
  const int64_t n = d_out.size();
  const float* g = d_out.data();
  const float* m = mask_.data();
  float* dx = d_in.data();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) dx[i] = g[i] * m[i];
}

}  // namespace alexnet
