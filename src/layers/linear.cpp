#include "layers/linear.hpp"

#include "layers/fused_relu.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

Linear::Linear(std::string name, std::string weight_name, std::string bias_name, int in, int out,
               bool relu)
    : Layer(std::move(name)), in_(in), out_(out), relu_(relu) {
  weight_.name = std::move(weight_name);
  weight_.shape = {out, in};
  bias_.name = std::move(bias_name);
  bias_.shape = {out};
  bias_.is_bias = true;
}

md Linear::setup(const md& in, Mode mode, bool need_d_in) {
  const dims d = in.dims();
  if (d.size() != 2 || d[1] != in_)
    fail(name() + ": expected " + std::to_string(in_) + " input features, got " + shape_str(d) +
         " (is the input image the size this architecture expects?)");
  flops_ = 2.0 * d[0] * in_ * out_;
  train_ = mode == Mode::train;
  need_d_in_ = need_d_in;
  const md src = plain_md(d), w = plain_md({out_, in_}), b = plain_md({out_}),
           dst = plain_md({d[0], out_});
  const primitive_attr attr = relu_post_op(relu_);
  const prop_kind prop = mode == Mode::train ? prop_kind::forward_training
                                             : prop_kind::forward_inference;
  auto forward_pd = [&](const md& weights) {
    return inner_product_forward::primitive_desc(inner_product_forward::desc(prop, src, weights, b, dst), attr,
                                                 cpu_engine());
  };
  // Inference lets oneDNN pick a blocked weight layout (reordered once, then cached; the same
  // AB16b64a at every batch size): on AVX-512 brgemm then runs alexnet-torchvision 2.5x faster
  // at batch 64, 1.3x at batch 4-6 and 1.1x at batch 1 (147 against 130 images/s, three
  // alternating rounds), for a second copy of fc6-fc8 (234 MB). Where oneDNN would run gemm
  // anyway (AVX2), gemm reads the plain weights as fast as its transposed copy, so no copy is
  // held. Training keeps the plain layout, which its backward reads and the optimizer updates.
  inner_product_forward::primitive_desc fpd = forward_pd(w);
  if (mode == Mode::eval) {
    auto blocked = forward_pd(any_md({out_, in_}));
    if (!impl_is_gemm(blocked.impl_info_str())) fpd = blocked;
  }
  if (plain_released_ && (mode == Mode::train || fpd.weights_desc() != w_.get_desc()))
    fail(name() + ": an inference-only network has given its plain weights back; it cannot train or "
                  "change the weight layout");
  fwd_ = inner_product_forward(fpd);
  impl_ = fpd.impl_info_str();
  w_plain_ = memory(w, cpu_engine(), weight_.value);
  w_ = copies_.get(w_plain_, fpd.weights_desc());
  b_ = memory(b, cpu_engine(), bias_.value);
  use_matmul_ = mode == Mode::train && setup_training_matmul(src, dst, attr);
  if (mode == Mode::train) {
    if (need_d_in)
      bwd_data_ = inner_product_backward_data(inner_product_backward_data::primitive_desc(
          inner_product_backward_data::desc(src, w, dst), cpu_engine(), fpd));
    if (!frozen_)
      bwd_weights_ = inner_product_backward_weights(inner_product_backward_weights::primitive_desc(
          inner_product_backward_weights::desc(src, w, b, dst), cpu_engine(), fpd));
    dw_ = memory(w, cpu_engine(), weight_.grad);
    db_ = memory(b, cpu_engine(), bias_.grad);
    if (relu_) relu_bwd_ = relu_backward_for(dst);
  }
  return dst;
}

// Training cannot keep a blocked copy cheaply (it would be reordered after every step: 12 ms
// for torchvision's fc6), and on plain weights the inner product runs gemm, which on AVX-512
// reads [out, in] at half the rate it reads [in, out] (fc6 at batch 128: 45 ms, 213 GFLOP/s).
// oneDNN's matmul takes the same buffer as a transposed [in, out] and runs brgemm on it
// directly: 22 ms, 431 GFLOP/s. Where the matmul also lands on gemm (AVX2) the inner product
// stays, as fast there. The backward keeps the inner product's primitives.
bool Linear::setup_training_matmul(const md& src, const md& dst, const primitive_attr& attr) {
  const md w_t({in_, out_}, dnnl::memory::data_type::f32, tag::ba), b_row = plain_md({1, out_});
  matmul::primitive_desc pd(matmul::desc(src, w_t, b_row, dst), attr, cpu_engine());
  if (impl_is_gemm(pd.impl_info_str())) return false;
  fwd_matmul_ = matmul(pd);
  impl_ = pd.impl_info_str();
  w_in_out_ = memory(w_t, cpu_engine(), weight_.value);
  b_row_ = memory(b_row, cpu_engine(), bias_.value);
  return true;
}

void Linear::params_changed() {
  if (plain_released_) fail(name() + ": the weights of an inference-only network cannot change");
  copies_.stale();
}

void Linear::forward(const Tensor& in, const Tensor& out) {
  if (inference_only_ && !plain_released_ && w_.get() != w_plain_.get()) {
    copies_.refresh_releasing(w_plain_, w_);
    plain_released_ = true;
  }
  if (use_matmul_) {
    fwd_matmul_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                                       {DNNL_ARG_WEIGHTS, w_in_out_},
                                       {DNNL_ARG_BIAS, b_row_},
                                       {DNNL_ARG_DST, out.mem()}});
    cpu_stream().wait();
    return;
  }
  copies_.refresh(w_plain_, w_);
  fwd_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                              {DNNL_ARG_WEIGHTS, w_},
                              {DNNL_ARG_BIAS, b_},
                              {DNNL_ARG_DST, out.mem()}});
  cpu_stream().wait();
}

void Linear::backward(const Tensor& in, const Tensor& out, const Tensor& d_out, const Tensor& d_in) {
  auto& st = cpu_stream();
  if (frozen_ && d_in.empty()) return;
  if (relu_) run_relu_backward(relu_bwd_, out, d_out);
  if (!frozen_)
    bwd_weights_.execute(st, {{DNNL_ARG_SRC, in.mem()},
                              {DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_DIFF_WEIGHTS, dw_},
                              {DNNL_ARG_DIFF_BIAS, db_}});
  if (!d_in.empty())
    bwd_data_.execute(st, {{DNNL_ARG_DIFF_DST, d_out.mem()},
                           {DNNL_ARG_WEIGHTS, w_},
                           {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  st.wait();
}

}  // namespace alexnet
