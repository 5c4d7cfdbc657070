// oneDNN's convolution for any of the three passes: its direct kernels on the CPU's blocked
// layout, or, where it has none for the shape (a CPU without AVX2), whatever it prefers.
// Weights are read through copies in the layouts the primitives ask for, made once and
// refreshed after each change; the copies survive a new batch size.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "kernels/conv_request.hpp"
#include "kernels/weight_copies.hpp"

namespace alexnet {

class DirectConv : public Kernel {
 public:
  struct Passes {
    bool forward = false, data = false, weights = false;
  };
  // Whether oneDNN has a direct kernel for r's forward into the activation layout, on input
  // `src` with `pad` (not gemm, not a reference kernel).
  static bool has_direct_kernel(const ConvRequest& r, const md& src, int64_t pad);
  // Builds the passes asked for (the forward's description is made in any case: the backward
  // passes need it). Returns the forward's output descriptor.
  md setup(const ConvRequest& r, Passes passes);

  void forward(const Tensor& in, const Tensor& out) override;
  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  void backward_weights(const Tensor& in, const Tensor& d_out) override;
  void weights_changed() override { copies_.stale(); }
  std::string impl(Pass pass) const override;

 private:
  dnnl::convolution_forward fwd_;
  dnnl::convolution_backward_data bwd_data_;
  ConvWeightGradient weight_grad_;
  dnnl::memory w_plain_, w_fwd_, w_bwd_, bias_;
  WeightCopies copies_;
  std::string fwd_impl_, data_impl_;
};

}  // namespace alexnet
