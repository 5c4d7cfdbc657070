#include "layers/softmax_xent.hpp"

#include <cmath>

#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

double SoftmaxCrossEntropy::forward(const Tensor& logits, const std::vector<int32_t>& labels) {
  const dims d = logits.shape();
  const int64_t n = d[0], k = d[1];
  if (static_cast<int64_t>(labels.size()) != n)
    fail("loss: " + std::to_string(labels.size()) + " labels for a batch of " + std::to_string(n));
  if (d != shape_) {
    shape_ = d;
    logsoftmax_forward::primitive_desc pd(
        logsoftmax_forward::desc(prop_kind::forward_inference, plain_md(d), 1), cpu_engine());
    fwd_ = logsoftmax_forward(pd);
    log_probs_ = Tensor::plain(d);
  }
  fwd_.execute(cpu_stream(), {{DNNL_ARG_SRC, logits.mem()}, {DNNL_ARG_DST, log_probs_.mem()}});
  cpu_stream().wait();
  const float* lp = log_probs_.data();
  const double e = smoothing_;
  double loss = 0;
  for (int64_t i = 0; i < n; ++i) {
    const int32_t y = labels[i];
    if (y < 0 || y >= k)
      fail("loss: label " + std::to_string(y) + " out of range for " + std::to_string(k) + " classes");
    double all = 0;  // sum over the classes of -log p, the smoothed target's share
    if (e > 0)
      for (int64_t j = 0; j < k; ++j) all -= lp[i * k + j];
    loss -= (1 - e) * lp[i * k + y] - e / static_cast<double>(k) * all;
  }
  return loss / static_cast<double>(n);
}

void SoftmaxCrossEntropy::backward(const std::vector<int32_t>& labels, const Tensor& d_logits,
                                   double grad_scale) {
  const int64_t n = shape_[0], k = shape_[1];
  const float* lp = log_probs_.data();
  float* g = d_logits.data();
  const float inv_n = static_cast<float>(grad_scale / static_cast<double>(n));
  const float rest = smoothing_ / static_cast<float>(k), hit = 1 - smoothing_ + rest;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      g[i * k + j] = (std::exp(lp[i * k + j]) - (j == labels[i] ? hit : rest)) * inv_n;
}

Tensor softmax(const Tensor& logits) {
  Tensor out = Tensor::plain(logits.shape());
  softmax_forward::primitive_desc pd(
      softmax_forward::desc(prop_kind::forward_inference, plain_md(logits.shape()), 1), cpu_engine());
  softmax_forward(pd).execute(cpu_stream(), {{DNNL_ARG_SRC, logits.mem()}, {DNNL_ARG_DST, out.mem()}});
  cpu_stream().wait();
  return out;
}

}  // namespace alexnet
