// SGD with momentum and weight decay by the paper's rule (section 5):
//   v <- momentum * v - weight_decay * lr * w - lr * dL/dw
//   w <- w + v
// One vectorised pass over the Network's contiguous buffers. Weight decay applies to every
// parameter, biases included, as torch.optim.SGD's does. With a constant lr this is exactly
// torch.optim.SGD(momentum, weight_decay) (whose buffer is b = -v / lr); when lr changes the two
// differ, because the paper's v carries the old lr and PyTorch's b does not.
#pragma once
#include <cstdint>
#include <vector>

namespace alexnet {

struct SgdConfig {
  float lr = 0.01f;
  float momentum = 0.9f;
  float weight_decay = 5e-4f;
};

void sgd_step(float* w, const float* grad, float* v, int64_t n, const SgdConfig& c);

// A stretch of the contiguous buffers with its lr multiplier (fine-tuning: frozen parameters
// lie in no range and are neither decayed nor moved; a new classifier may learn faster,
// Caffe's lr_mult). The step above on each range, with lr x lr_mult.
struct ParamRange {
  int64_t offset = 0, size = 0;
  float lr_mult = 1;
};
void sgd_step(float* w, const float* grad, float* v, const std::vector<ParamRange>& ranges, const SgdConfig& c);

}  // namespace alexnet
