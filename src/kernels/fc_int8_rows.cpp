#include "kernels/fc_int8_rows.hpp"

#include <omp.h>

#include <algorithm>

#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd_level.hpp"
#include "util/error.hpp"

namespace alexnet {

void Int8RowsFc::setup(const FcRequest& r) {
  if (!r.quant || r.mode == Mode::train || r.batch > kMaxBatch)
    internal_error("the int8 row kernel runs inference of a quantized fc layer at small batches only");
  r_ = r;
  u_.assign(static_cast<size_t>(r.batch * r.in), 0);
  if (!stale_) return;
  Int8Params p;
  p.make(r.params.weight, r.params.bias, r.out, r.in, *r.quant, 127);
  weights_ = huge_buffer<int8_t>(p.weights.size());
  std::copy(p.weights.begin(), p.weights.end(), weights_.get());
  row_sums_.assign(r.out, 0);
  for (int64_t o = 0; o < r.out; ++o)
    for (int64_t i = 0; i < r.in; ++i) row_sums_[o] += p.weights[o * r.in + i];
  scales_ = p.out_scales;
  bias_ = p.bias;
  stale_ = false;
}

void Int8RowsFc::forward(const Tensor& in, const Tensor& out) {
  if (stale_) setup(r_);
  const SimdKernels& k = *simd_kernels();
  const LayerQuant& q = *r_.quant;
  for (int64_t n = 0; n < r_.batch; ++n)
    k.int8_quantize_rows(in.data() + n * r_.in, r_.in, 1.f / q.in_scale, q.in_zero, u_.data() + n * r_.in);
  const Int8Rows rows{weights_.get(), row_sums_.data(), scales_.data(), bias_.data(), r_.out, r_.in, r_.batch,
                      q.in_zero, r_.relu};
  float* y = out.data();
  const int16_t* u = u_.data();
#pragma omp parallel
  {
    const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t per = (r_.out + threads - 1) / threads, first = std::min<int64_t>(r_.out, t * per);
    k.int8_rows(rows, u, first, std::min<int64_t>(per, r_.out - first), y);
  }
}

std::string Int8RowsFc::impl(Pass) const { return std::string("int8 rows:") + simd_kernels()->level; }

}  // namespace alexnet
