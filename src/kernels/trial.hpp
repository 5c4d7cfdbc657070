// Trial runs for kernels/tuning.hpp: a candidate kernel built apart from the layer's and run
// on scratch tensors (random inputs, outputs and gradients of its own, never the layer's), at
// the batch size a decision is measured at.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel.hpp"

namespace alexnet {

// The batch a decision is measured at: its own, at most 32 images for inference and 16 for
// training (whose passes cost three times as much), so that measuring a whole network on first
// use stays within seconds; per image, the kernels' order hardly changes past these sizes.
int64_t trial_batch(Mode mode, int64_t batch);
// The first n images of a 4-D or 2-D activation descriptor, in the same layout.
md first_images(const md& m, int64_t n);
// "plain", "blocked8", "blocked16", "nhwc" or "other": how a signature names an activation's layout.
std::string layout_name(const md& m);

// Scratch for one trial: the input (random), the output, and for training the output's and
// input's gradients and the parameters' gradients.
struct Trial {
  Trial(const md& in, int64_t weights, int64_t biases, bool training);
  void set_out(const md& out);  // once the candidate says what it writes
  Tensor in, out, d_out, d_in;
  std::vector<float> d_weight, d_bias;
  bool training;
  // The layer's parameters with the gradients pointed at this scratch.
  ParamPtrs params(const ParamPtrs& layer) { return {layer.weight, layer.bias, d_weight.data(), d_bias.data()}; }
};

// One timed run: the passes `passes` of kernel k on trial t (forward, then backward data, then
// weights, as a training step runs them).
std::function<void()> trial_run(std::shared_ptr<Kernel> k, std::shared_ptr<Trial> t,
                                std::vector<Pass> passes);

}  // namespace alexnet
