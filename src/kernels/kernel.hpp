// The engines that compute a layer, apart from the layer (as Caffe's layer_factory keeps
// cuDNN's convolution apart from its own). A layer says what it computes; a Kernel computes
// some of its passes, owns whatever state that needs (primitives, weights in its own layout,
// workspaces), and keeps it across batch sizes. Which kernel runs which pass is decided in
// one place, kernels/choice.hpp.
//
//   forward           in -> out
//   backward_data     d_out -> d_in (in: the forward's input, for the kernels that read it)
//   backward_weights  in, d_out -> the parameters' gradients (overwritten)
//
// d_out is the gradient after the layer's fused ReLU, which the layer applies itself.
#pragma once
#include <memory>
#include <string>

#include "tensor/tensor.hpp"

namespace alexnet {

enum class Mode { train, eval };
enum class Pass { forward, backward_data, backward_weights };

// A layer's parameters as the kernels see them: values and gradients (null when not
// training), in the layouts files use (conv OIHW, fc [out, in]).
struct ParamPtrs {
  float* weight = nullptr;
  float* bias = nullptr;
  float* d_weight = nullptr;
  float* d_bias = nullptr;
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  // Each kernel overrides the passes it computes; the others are never called (a bug if so).
  virtual void forward(const Tensor& in, const Tensor& out);
  virtual void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in);
  virtual void backward_weights(const Tensor& in, const Tensor& d_out);
  // The parameters changed (an optimizer step, a load): copies in other layouts are stale.
  virtual void weights_changed() {}
  // What computes a pass, e.g. "winograd_4x3:avx2 (matmul brg:avx2)" or oneDNN's
  // impl_info_str: what `bench --layers` prints and the tests check.
  virtual std::string impl(Pass pass) const = 0;
  // The kernel this one runs inside (kernels/int8_simulated.hpp), if any.
  virtual std::shared_ptr<Kernel> wrapped() const { return nullptr; }
};

// A layer's kernels, one for each pass; one kernel may run several passes (shared), and a
// pass the layer does not need has none.
struct Kernels {
  std::shared_ptr<Kernel> forward, backward_data, backward_weights;
  md out;  // the forward's output descriptor
  // How the kernels were chosen (kernels/tuning.hpp): "measured", "table", ... per decision.
  std::string chosen_by;

  // "forward / backward data / backward weights", each pass that has a kernel.
  std::string impl() const;
  // Tells each kernel once that the parameters changed.
  void weights_changed() const;
  // The kernel of the passes before, when it is a K (its state is kept across batch sizes:
  // transformed filters, weight copies); a new one otherwise.
  template <class K>
  std::shared_ptr<K> kept() const {
    for (const auto* k : {&forward, &backward_data, &backward_weights})
      for (auto kernel = *k; kernel; kernel = kernel->wrapped())
        if (auto same = std::dynamic_pointer_cast<K>(kernel)) return same;
    return std::make_shared<K>();
  }
};

}  // namespace alexnet
