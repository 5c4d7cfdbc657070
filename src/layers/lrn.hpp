// Local response normalisation across channels, SPEC §1:
//   b_i = a_i / (k + (alpha/n) * sum_{j in window(i)} a_j^2)^beta,  n = 5, k = 2, alpha = 1e-4,
// beta = 0.75 (alpha divided by n, as the authors' cuda-convnet code and oneDNN do).
// With oneDNN's primitives the forward keeps their workspace for the backward; on AVX2 our
// own kernels run instead (lrn_blocked.hpp).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "layers/layer.hpp"

namespace alexnet {

struct LrnParams {
  int size = 5;
  float alpha = 1e-4f, beta = 0.75f, k = 2.f;
};

class Lrn : public Layer {
 public:
  Lrn(std::string name, LrnParams p) : Layer(std::move(name)), p_(p) {}
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;

 private:
  LrnParams p_;
  int block_ = 0;  // our blocked kernels' channel block; 0: oneDNN's primitives
  dnnl::lrn_forward fwd_;
  dnnl::lrn_backward bwd_;
  dnnl::memory workspace_;
};

}  // namespace alexnet
