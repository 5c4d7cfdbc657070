// Softmax cross-entropy, the loss of the paper: log-softmax through oneDNN, then the mean of
// -log p[label] over the batch, and its gradient (softmax - onehot) / batch. With label
// smoothing e (training only) the target is (1 - e) onehot + e / K, as PyTorch's
// CrossEntropyLoss(label_smoothing=e): a loss that never asks for infinite confidence.
#pragma once
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "tensor/tensor.hpp"

namespace alexnet {

class SoftmaxCrossEntropy {
 public:
  // logits: plain [N, K]. Returns the mean loss and keeps the log-probabilities for the
  // backward. Labels outside [0, K) are a UserError.
  double forward(const Tensor& logits, const std::vector<int32_t>& labels);
  // d_logits (plain [N, K]) = grad_scale * (softmax - target) / N, for the last forward.
  // grad_scale: data parallelism's local samples / global samples.
  void backward(const std::vector<int32_t>& labels, const Tensor& d_logits, double grad_scale = 1.0);
  double forward_backward(const Tensor& logits, const std::vector<int32_t>& labels, const Tensor& d_logits) {
    const double loss = forward(logits, labels);
    backward(labels, d_logits);
    return loss;
  }
  const Tensor& log_probs() const { return log_probs_; }
  void set_label_smoothing(float e) { smoothing_ = e; }

 private:
  float smoothing_ = 0;
  dims shape_;
  dnnl::logsoftmax_forward fwd_;
  Tensor log_probs_;
};

// Row-wise softmax of plain [N, K] logits into a new plain tensor.
Tensor softmax(const Tensor& logits);

}  // namespace alexnet
