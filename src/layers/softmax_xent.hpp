// Softmax cross-entropy, the loss of the paper: log-softmax through oneDNN, then the mean of
// -log p[label] over the batch, and its gradient (softmax - onehot) / batch.
#pragma once
#include <cstdint>
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "tensor/tensor.hpp"

namespace alexnet {

class SoftmaxCrossEntropy {
 public:
  // logits: plain [N, K]. Returns the mean loss; writes d_logits (plain [N, K]) when given.
  // Labels outside [0, K) are a UserError.
  double forward_backward(const Tensor& logits, const std::vector<int32_t>& labels,
                          const Tensor* d_logits);
  const Tensor& log_probs() const { return log_probs_; }

 private:
  dims shape_;
  dnnl::logsoftmax_forward fwd_;
  Tensor log_probs_;
};

// Row-wise softmax of plain [N, K] logits into a new plain tensor.
Tensor softmax(const Tensor& logits);

}  // namespace alexnet
