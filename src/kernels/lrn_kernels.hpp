// Local response normalisation across channels (docs/spec.md, architectures):
//   b_i = a_i / (k + (alpha/n) * sum_{j in window(i)} a_j^2)^beta,  n = 5, k = 2, alpha = 1e-4,
// beta = 0.75 (alpha divided by n, as the authors' cuda-convnet code and oneDNN do).
// Two kernels, each for both passes: oneDNN's primitives (the forward keeps their workspace for
// the backward), and ours on the blocked layout (kernels/lrn_blocked.hpp: no workspace).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/kernel.hpp"
#include "kernels/lrn_params.hpp"

namespace alexnet {

class OnednnLrn : public Kernel {
 public:
  md setup(const LrnParams& p, const md& in, Mode mode);
  void forward(const Tensor& in, const Tensor& out) override;
  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  std::string impl(Pass pass) const override { return pass == Pass::forward ? fwd_impl_ : bwd_impl_; }

 private:
  dnnl::lrn_forward fwd_;
  dnnl::lrn_backward bwd_;
  dnnl::memory workspace_;
  std::string fwd_impl_, bwd_impl_;
};

class BlockedLrn : public Kernel {
 public:
  BlockedLrn(const LrnParams& p, int block) : p_(p), block_(block) {}
  void forward(const Tensor& in, const Tensor& out) override;
  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  std::string impl(Pass) const override;

 private:
  LrnParams p_;
  int block_;
};

}  // namespace alexnet
