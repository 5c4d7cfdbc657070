#include "kernels/fc_kernels.hpp"

#include "kernels/fused_relu.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

namespace {
inner_product_forward::primitive_desc forward_pd(const FcRequest& r, const md& weights) {
  const prop_kind prop = r.mode == Mode::train ? prop_kind::forward_training : prop_kind::forward_inference;
  inner_product_forward::desc d(prop, plain_md({r.batch, r.in}), weights, plain_md({r.out}),
                                plain_md({r.batch, r.out}));
  return inner_product_forward::primitive_desc(d, relu_post_op(r.relu), cpu_engine());
}

md matmul_weights(const FcRequest& r) { return md({r.in, r.out}, dt::f32, tag::ba); }  // [out, in] read as [in, out]

matmul::primitive_desc matmul_pd(const FcRequest& r) {
  matmul::desc d(plain_md({r.batch, r.in}), matmul_weights(r), plain_md({1, r.out}), plain_md({r.batch, r.out}));
  return matmul::primitive_desc(d, relu_post_op(r.relu), cpu_engine());
}
}  // namespace

bool InnerProductFc::runs_gemm(const FcRequest& r, bool blocked) {
  return impl_is_gemm(forward_pd(r, blocked ? any_md({r.out, r.in}) : plain_md({r.out, r.in})).impl_info_str());
}

void InnerProductFc::setup(const FcRequest& r) {
  const md src = plain_md({r.batch, r.in}), w = plain_md({r.out, r.in}), b = plain_md({r.out}),
           dst = plain_md({r.batch, r.out});
  // Once the plain weights are gone, the copy's layout is the one every batch size must read.
  const auto fpd = forward_pd(r, plain_released_ ? w_.get_desc() : r.blocked_weights ? any_md({r.out, r.in}) : w);
  if (plain_released_ && (r.mode == Mode::train || fpd.weights_desc() != w_.get_desc()))
    internal_error("an inference-only fc layer has given its plain weights back; it cannot train or change "
                   "the weights' layout");
  inference_only_ = r.inference_only;
  fwd_ = inner_product_forward(fpd);
  fwd_impl_ = fpd.impl_info_str();
  w_plain_ = memory(w, cpu_engine(), r.params.weight);
  w_ = copies_.get(w_plain_, fpd.weights_desc());
  b_ = memory(b, cpu_engine(), r.params.bias);
  if (r.mode != Mode::train) return;
  if (r.need_d_in) {
    inner_product_backward_data::primitive_desc pd(inner_product_backward_data::desc(src, w, dst), cpu_engine(), fpd);
    bwd_data_ = inner_product_backward_data(pd);
    data_impl_ = pd.impl_info_str();
  }
  if (!r.frozen) {
    inner_product_backward_weights::primitive_desc pd(inner_product_backward_weights::desc(src, w, b, dst),
                                                      cpu_engine(), fpd);
    bwd_weights_ = inner_product_backward_weights(pd);
    weights_impl_ = pd.impl_info_str();
  }
  dw_ = memory(w, cpu_engine(), r.params.d_weight);
  db_ = memory(b, cpu_engine(), r.params.d_bias);
}

void InnerProductFc::weights_changed() {
  if (plain_released_) internal_error("the weights of an inference-only fc layer cannot change");
  copies_.stale();
}

void InnerProductFc::forward(const Tensor& in, const Tensor& out) {
  if (inference_only_ && !plain_released_ && w_.get() != w_plain_.get()) {
    copies_.refresh_releasing(w_plain_, w_);
    plain_released_ = true;
  }
  copies_.refresh(w_plain_, w_);
  fwd_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                              {DNNL_ARG_WEIGHTS, w_},
                              {DNNL_ARG_BIAS, b_},
                              {DNNL_ARG_DST, out.mem()}});
  cpu_stream().wait();
}

void InnerProductFc::backward_data(const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  bwd_data_.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, d_out.mem()},
                                   {DNNL_ARG_WEIGHTS, w_},
                                   {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  cpu_stream().wait();
}

void InnerProductFc::backward_weights(const Tensor& in, const Tensor& d_out) {
  bwd_weights_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                                      {DNNL_ARG_DIFF_DST, d_out.mem()},
                                      {DNNL_ARG_DIFF_WEIGHTS, dw_},
                                      {DNNL_ARG_DIFF_BIAS, db_}});
  cpu_stream().wait();
}

std::string InnerProductFc::impl(Pass pass) const {
  return pass == Pass::forward ? fwd_impl_ : pass == Pass::backward_data ? data_impl_ : weights_impl_;
}

bool MatmulFcForward::runs_gemm(const FcRequest& r) { return impl_is_gemm(matmul_pd(r).impl_info_str()); }

void MatmulFcForward::setup(const FcRequest& r) {
  const auto pd = matmul_pd(r);
  prim_ = matmul(pd);
  impl_ = pd.impl_info_str();
  w_in_out_ = memory(matmul_weights(r), cpu_engine(), r.params.weight);
  b_row_ = memory(plain_md({1, r.out}), cpu_engine(), r.params.bias);
}

void MatmulFcForward::forward(const Tensor& in, const Tensor& out) {
  prim_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                               {DNNL_ARG_WEIGHTS, w_in_out_},
                               {DNNL_ARG_BIAS, b_row_},
                               {DNNL_ARG_DST, out.mem()}});
  cpu_stream().wait();
}

}  // namespace alexnet
