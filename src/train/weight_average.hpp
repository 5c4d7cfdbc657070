// An exponential moving average of the weights (Polyak averaging), the weights a run evaluates
// and keeps when --ema is on: after every SGD step
//   avg <- d * avg + (1 - d) * w,   d = min(decay, (1 + t) / (10 + t)),  t = the step's number,
// the warm-up in d letting the average forget the random initialisation within the first steps
// instead of after ~1/(1 - decay) of them. A short schedule ends while SGD still jitters around
// a minimum; the average sits nearer its centre (docs/training.md, measured).
#pragma once
#include <cstdint>
#include <vector>

namespace alexnet {

class Network;

class WeightAverage {
 public:
  WeightAverage(float decay, Network& net);
  float decay() const { return decay_; }
  // After the SGD step numbered `step` (0-based, global across ranks and resumes).
  void update(Network& net, int64_t step);
  // Exchanges the network's weights with the average (twice: back to training).
  void swap_with(Network& net);
  float* data() { return avg_.data(); }
  int64_t size() const { return static_cast<int64_t>(avg_.size()); }

 private:
  float decay_;
  std::vector<float> avg_;
};

}  // namespace alexnet
