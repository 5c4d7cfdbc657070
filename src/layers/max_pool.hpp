// Max pooling, k x k with stride s and no padding (the paper's overlapping 3x3/2 pooling).
// Forward keeps oneDNN's workspace (the argmax of each window) for the backward.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "layers/layer.hpp"

namespace alexnet {

class MaxPool : public Layer {
 public:
  MaxPool(std::string name, int kernel, int stride)
      : Layer(std::move(name)), kernel_(kernel), stride_(stride) {}
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;

 private:
  int kernel_, stride_;
  dnnl::pooling_forward fwd_;
  dnnl::pooling_backward bwd_;
  dnnl::memory workspace_;
};

}  // namespace alexnet
