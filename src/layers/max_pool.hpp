// Max pooling, k x k with stride s and no padding (the paper's overlapping 3x3/2 pooling).
// kernels/pool_kernels.hpp has the two kernels; kernels/choice.cpp picks one.
#pragma once
#include "kernels/pool_kernels.hpp"
#include "layers/layer.hpp"

namespace alexnet {

class MaxPool : public Layer {
 public:
  MaxPool(std::string name, int kernel, int stride) : Layer(std::move(name)), p_{kernel, stride} {}
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;

 private:
  PoolParams p_;
  Kernels kernels_;
};

}  // namespace alexnet
