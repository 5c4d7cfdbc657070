// Flatten: the boundary between the convolutional part (blocked layouts such as nChw8c) and
// the fully connected part (plain [N, C*H*W] in PyTorch's C,H,W order, so fc6's weights are
// the file's weights). A reorder each way; nothing to keep for the backward.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "layers/layer.hpp"

namespace alexnet {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name) : Layer(std::move(name)) {}
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;

 private:
  md in_md_, plain4_md_;
  dnnl::reorder to_plain_, from_plain_;
};

}  // namespace alexnet
