#include "layers/dropout.hpp"

#include <cstring>

#include "util/rng.hpp"

namespace alexnet {

md Dropout::setup(const md& in, Mode mode, bool) {
  mode_ = mode;
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
  // keep when a 24-bit uniform draw is >= p
  const uint32_t threshold = static_cast<uint32_t>(p_ * 16777216.0);
  const float scale = 1.f / (1.f - p_);
  float* m = mask_.data();
  const uint64_t key = mix64(key_);
  const int64_t offset = first_row_ * (n / in.shape()[0]);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t r = static_cast<uint32_t>(mix64(key ^ static_cast<uint64_t>(i + offset)) >> 40);
    m[i] = r >= threshold ? scale : 0.f;
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
