// Convolutions through our Winograd (kernels/winograd.hpp) on the CPU's blocked layout.
// WinogradConv runs the forward and the weight gradients (the same tiles and transforms run
// the other way); WinogradConvData runs the backward-data pass as the forward convolution of
// the output's gradient with the turned filters (ConvRequest::winograd_backward_data). Both
// transform their filters again only after the weights changed, and keep them across batch
// sizes (a server's batches alternate between sizes).
#pragma once
#include <memory>
#include <vector>

#include "kernels/conv_request.hpp"

namespace alexnet {

class WinogradConv : public Kernel {
 public:
  md setup(const ConvRequest& r, int block);

  void forward(const Tensor& in, const Tensor& out) override;
  void backward_weights(const Tensor& in, const Tensor& d_out) override;
  void weights_changed() override { fresh_ = false; }
  std::string impl(Pass) const override { return winograd_->impl(); }

 private:
  std::unique_ptr<Winograd> winograd_;
  ParamPtrs params_;
  bool fresh_ = false;  // the transformed filters are those of the current weights
};

class WinogradConvData : public Kernel {
 public:
  void setup(const ConvRequest& r, int block);

  void backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) override;
  void weights_changed() override { fresh_ = false; }
  std::string impl(Pass) const override { return winograd_->impl(); }

 private:
  void turn_filters();

  std::unique_ptr<Winograd> winograd_;
  ConvShape shape_;
  const float* weight_ = nullptr;
  std::vector<float> turned_;
  bool fresh_ = false;
};

}  // namespace alexnet
