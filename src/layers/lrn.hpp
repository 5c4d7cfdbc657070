// Local response normalisation across channels (kernels/lrn_kernels.hpp has the formula and
// the two kernels; kernels/choice.cpp picks one).
#pragma once
#include "kernels/lrn_kernels.hpp"
#include "layers/layer.hpp"

namespace alexnet {

class Lrn : public Layer {
 public:
  Lrn(std::string name, LrnParams p) : Layer(std::move(name)), p_(p) {}
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;

 private:
  LrnParams p_;
  Kernels kernels_;
};

}  // namespace alexnet
