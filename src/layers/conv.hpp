// Convolution with groups and an optional fused ReLU (a oneDNN post-op: the activation is
// computed while the output is still in cache). Forward keeps nothing extra: the backward of
// the fused ReLU needs only the output, which the Network keeps anyway.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <memory>

#include "layers/layer.hpp"
#include "layers/weight_copies.hpp"
#include "layers/winograd.hpp"

namespace alexnet {

struct ConvShape {
  int in = 0, out = 0, kernel = 0, stride = 1, pad = 0, groups = 1;
  bool relu = false;
};

class Conv : public Layer {
 public:
  Conv(std::string name, std::string weight_name, std::string bias_name, ConvShape s);
  md setup(const md& in, Mode mode, bool need_d_in) override;
  void forward(const Tensor& in, const Tensor& out) override;
  void backward(const Tensor& in, const Tensor& out, const Tensor& d_out,
                const Tensor& d_in) override;
  std::vector<Param*> params() override { return {&weight_, &bias_}; }
  void params_changed() override {
    copies_.stale();
    winograd_fresh_ = winograd_bwd_fresh_ = false;
  }
  const ConvShape& shape() const { return s_; }
  double forward_flops() const override { return flops_; }
  double backward_flops() const override {
    return mode_ == Mode::train ? flops_ * ((need_d_in_ ? 1 : 0) + (frozen_ ? 0 : 1)) : 0;
  }

 private:
  dims weight_dims() const;  // {g, O/g, I/g, k, k} with groups, {O, I, k, k} without
  md plain_weight_md() const;
  bool setup_winograd(const md& in, Mode mode, bool need_d_in);
  void set_turned_weights();
  // weights: a layout to use; by default oneDNN chooses.
  dnnl::convolution_forward::primitive_desc forward_pd(const md& src, const md& dst, int64_t pad,
                                                       Mode mode, const md& weights = md()) const;

  ConvShape s_;
  Param weight_, bias_;
  Mode mode_ = Mode::eval;
  double flops_ = 0;
  bool need_d_in_ = false;

  dnnl::convolution_forward fwd_;
  dnnl::convolution_backward_data bwd_data_;
  dnnl::convolution_backward_weights bwd_weights_;
  dnnl::eltwise_backward relu_bwd_;
  // Weights in the layouts the forward and backward-data primitives prefer (views into
  // copies_, or the plain values themselves), and the weight gradient's.
  dnnl::memory w_plain_, w_fwd_, w_bwd_, dw_, dw_plain_;
  WeightCopies copies_;
  dnnl::reorder from_dw_;
  dnnl::memory bias_mem_, dbias_mem_;
  // Explicit padding (first layer only): the input copied into the middle of a zeroed buffer,
  // in runs of a few images in inference (padded_runs_: the full runs, then the rest).
  struct PaddedRun {
    int64_t images = 0;
    md in, view, dst;
    dnnl::reorder pad_in;
    dnnl::convolution_forward fwd;
  };
  void forward_padded(const Tensor& in, const Tensor& out);
  dnnl::memory pad_src_;
  std::vector<PaddedRun> padded_runs_;
  // Our own Winograd for the forward of the 3x3 and 5x5 layers (setup_winograd). Kept
  // across setups, like copies_: its transformed filters do not depend on the batch size.
  std::unique_ptr<Winograd> winograd_;
  bool use_winograd_ = false, winograd_fresh_ = false;
  // And for the backward-data pass of training (setup_winograd), from the turned filters.
  std::unique_ptr<Winograd> winograd_bwd_;
  bool use_winograd_bwd_ = false, winograd_bwd_fresh_ = false;
  std::vector<float> turned_;  // the filters turned, for winograd_bwd_
};

}  // namespace alexnet
