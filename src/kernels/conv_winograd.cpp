#include "kernels/conv_winograd.hpp"

#include "tensor/layout.hpp"

namespace alexnet {

namespace {
// Makes (or keeps, with its transformed filters) `w` for shape `ws`, ready for this batch size.
void keep(std::unique_ptr<Winograd>& w, bool& fresh, const WinogradShape& ws, int block, int64_t batch) {
  if (!w || !(w->shape() == ws) || w->block() != block) {
    w = std::make_unique<Winograd>(ws, block);
    fresh = false;
  }
  w->prepare(batch);
}
}  // namespace

md WinogradConv::setup(const ConvRequest& r, int block) {
  keep(winograd_, fresh_, r.winograd_forward(), block, r.in.dims()[0]);
  if (params_.weight != r.params.weight || params_.bias != r.params.bias) fresh_ = false;
  params_ = r.params;
  return activation_md(r.out_dims());
}

void WinogradConv::forward(const Tensor& in, const Tensor& out) {
  if (!fresh_) winograd_->set_weights(params_.weight, params_.bias);
  fresh_ = true;
  winograd_->forward(in.data(), out.data(), in.shape()[0]);
}

void WinogradConv::backward_weights(const Tensor& in, const Tensor& d_out) {
  winograd_->backward_weights(in.data(), d_out.data(), in.shape()[0], params_.d_weight, params_.d_bias);
}

void WinogradConvData::setup(const ConvRequest& r, int block) {
  keep(winograd_, fresh_, r.winograd_backward_data(), block, r.in.dims()[0]);
  if (weight_ != r.params.weight) fresh_ = false;
  shape_ = r.shape;
  weight_ = r.params.weight;
}

// w'[g][i][o][y][x] = w[g][o][i][k-1-y][k-1-x], no bias.
void WinogradConvData::turn_filters() {
  const int64_t cg = shape_.in / shape_.groups, kg = shape_.out / shape_.groups, kk = shape_.kernel * shape_.kernel;
  turned_.resize(static_cast<size_t>(shape_.out) * cg * kk);
  for (int64_t g = 0; g < shape_.groups; ++g)
    for (int64_t o = 0; o < kg; ++o)
      for (int64_t i = 0; i < cg; ++i) {
        const float* from = weight_ + ((g * kg + o) * cg + i) * kk;
        float* to = turned_.data() + ((g * cg + i) * kg + o) * kk;
        for (int64_t j = 0; j < kk; ++j) to[j] = from[kk - 1 - j];
      }
  winograd_->set_weights(turned_.data(), nullptr);
}

void WinogradConvData::backward_data(const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (!fresh_) turn_filters();
  fresh_ = true;
  winograd_->forward(d_out.data(), d_in.data(), d_out.shape()[0]);
}

}  // namespace alexnet
