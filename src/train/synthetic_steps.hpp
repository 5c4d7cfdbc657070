// Steps on random data: a whole training step (forward, loss, backward, SGD) or an inference
// forward, at a fixed batch. What `alexnet bench` times, and what --time-budget plans from.
#pragma once
#include <cstdint>
#include <vector>

#include "layers/softmax_xent.hpp"
#include "model/network.hpp"
#include "train/sgd.hpp"

namespace alexnet {

class SyntheticSteps {
 public:
  SyntheticSteps(Network& net, int batch, bool train, const SgdConfig& sgd, uint64_t seed);
  void warm_up(int steps);                // untimed
  std::vector<double> time(int steps);    // seconds of each step, sorted

 private:
  void step();
  Network& net_;
  bool train_;
  SgdConfig sgd_;
  Tensor x_;
  std::vector<int32_t> labels_;
  SoftmaxCrossEntropy xent_;
  uint64_t i_ = 0;
};

}  // namespace alexnet
