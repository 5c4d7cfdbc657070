// The layer interface, after Caffe's: set up for an input shape once, then forward and
// backward many times. A layer says what it computes (shapes, parameters, the forward and
// backward contract); the layers with more than one way to compute it (convolution, fc, LRN,
// max pooling) hand that to kernels (kernels/kernel.hpp) chosen in kernels/choice.cpp, the
// others own their oneDNN primitives. The activations belong to the Network, which hands them in.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel.hpp"
#include "kernels/quant.hpp"
#include "tensor/tensor.hpp"

namespace alexnet {

// A learnable tensor. `shape` is the layout files use (PyTorch: OIHW, [out, in], [out]);
// value, grad and momentum point into the Network's three contiguous buffers.
struct Param {
  std::string name;
  dims shape;
  bool is_bias = false;
  float* value = nullptr;
  float* grad = nullptr;
  float* momentum = nullptr;
  int64_t size() const { return numel(shape); }
};

class Layer {
 public:
  explicit Layer(std::string name) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  const std::string& name() const { return name_; }

  // Builds the primitives for input `in` (its layout is whatever the previous layer chose)
  // and returns the output descriptor. need_d_in is false for the first layer.
  virtual md setup(const md& in, Mode mode, bool need_d_in) = 0;
  virtual void forward(const Tensor& in, const Tensor& out) = 0;
  // Gradients: parameters' into Param::grad (overwritten, not accumulated) and, when a
  // d_in tensor is given, the input's. d_out may be used as scratch.
  virtual void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                        const Tensor& d_in) = 0;

  virtual std::vector<Param*> params() { return {}; }
  // Floating-point operations of one forward and one backward at the set-up shape (the
  // multiply-adds of conv and inner product, x2); 0 for the layers that do not count.
  virtual double forward_flops() const { return 0; }
  virtual double backward_flops() const { return 0; }
  // Called after the optimizer changed the parameters (layers cache reordered weights).
  virtual void params_changed() {}
  // Random streams (dropout) are keyed by the training step and by each sample's row in the
  // global batch, so runs are reproducible and do not depend on how the batch is split.
  virtual void set_rng_key(uint64_t /*key*/, int64_t /*first_row*/) {}
  // The implementations setup() got, e.g. "jit:avx2 / jit:avx2 / jit:avx2" (forward /
  // backward data / backward weights): what `bench --layers` prints and the tests check.
  const std::string& kernel() const { return impl_; }
  // How they were chosen: "measured", "table", ... (kernels/tuning.hpp); empty for a layer
  // with one way to compute.
  const std::string& chosen_by() const { return chosen_by_; }
  // A frozen layer (fine-tuning) computes no parameter gradients: setup() makes no
  // backward-weights primitive, and backward() only passes the gradient on, when asked for one.
  void set_frozen(bool f) { frozen_ = f; }
  bool frozen() const { return frozen_; }
  // An inference-only network (predict, serve, ...) never trains or saves, so a layer may give
  // the memory of its plain weights back once it holds them in the layout its primitive reads.
  void set_inference_only() { inference_only_ = true; }
  // int8 inference (kernels/quant.hpp), for the layers with parameters; null: f32.
  void set_quant(std::shared_ptr<const LayerQuant> q) { quant_ = std::move(q); }
  const LayerQuant* quant() const { return quant_.get(); }

 protected:
  std::string impl_, chosen_by_;
  bool frozen_ = false;
  bool inference_only_ = false;
  std::shared_ptr<const LayerQuant> quant_;

 private:
  std::string name_;
};

}  // namespace alexnet
