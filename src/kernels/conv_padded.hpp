// The first layer on a plain input, padded beforehand. oneDNN's AVX2 kernel refuses
// torchvision's conv1 (11x11/4 with pad 2) on a plain input and would fall back to gemm (160
// against 258 GFLOP/s); the same convolution on an input copied into the middle of a zeroed
// buffer, with pad 0, it takes. Inference pads a few images at a time (alexnet-torchvision at
// batch 64: a 5 MB buffer instead of 40); training keeps the whole padded batch, which the
// weight gradients read. The first layer needs no input gradient, so there is no data pass.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "kernels/conv_request.hpp"
#include "kernels/weight_copies.hpp"

namespace alexnet {

class PaddedConv : public Kernel {
 public:
  // Whether padding beforehand turns a refused shape into one the direct kernel takes.
  static bool helps(const ConvRequest& r);
  md setup(const ConvRequest& r);  // the forward, and in training the weight gradients

  void forward(const Tensor& in, const Tensor& out) override;
  void backward_weights(const Tensor& in, const Tensor& d_out) override;
  void weights_changed() override { copies_.stale(); }
  std::string impl(Pass pass) const override;

 private:
  // A run of images padded together: the full runs, then the rest.
  struct Run {
    int64_t images = 0;
    md in, view, dst;
    dnnl::reorder pad_in;
    dnnl::convolution_forward fwd;
  };
  std::vector<Run> runs_;
  dnnl::memory padded_, w_plain_, w_fwd_, bias_;
  WeightCopies copies_;
  ConvWeightGradient weight_grad_;
  std::string fwd_impl_;
};

}  // namespace alexnet
