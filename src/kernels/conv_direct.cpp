#include "kernels/conv_direct.hpp"

#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

using namespace dnnl;

bool DirectConv::has_direct_kernel(const ConvRequest& r, const md& src, int64_t pad) {
  return impl_is_direct(conv_forward_pd(r, src, activation_md(r.out_dims(), r.training()), pad).impl_info_str());
}

md DirectConv::setup(const ConvRequest& r, Passes passes) {
  const int64_t pad = r.shape.pad;
  auto fpd = conv_forward_pd(r, r.in, activation_md(r.out_dims(), r.training()), pad);
  // No direct kernel at all (an odd shape, a CPU without AVX2): whatever oneDNN prefers, unless
  // the plain layout is asked for on purpose (training below AVX2, tensor/layout.hpp: gemm for
  // every pass rather than a direct forward and reference backward passes).
  const bool plain_on_purpose = r.training() && activation_tag() == tag::any;
  if (!impl_is_direct(fpd.impl_info_str()) && !plain_on_purpose)
    fpd = conv_forward_pd(r, r.in, any_md(r.out_dims()), pad);
  w_plain_ = memory(r.plain_weight_md(), cpu_engine(), r.params.weight);
  bias_ = memory(r.bias_md(), cpu_engine(), r.params.bias);
  if (passes.forward) {
    fwd_ = convolution_forward(fpd);
    fwd_impl_ = fpd.impl_info_str();
    w_fwd_ = copies_.get(w_plain_, fpd.weights_desc());
  }
  if (passes.data) {
    const dims strides{r.shape.stride, r.shape.stride}, p{pad, pad};
    convolution_backward_data::desc bd(algorithm::convolution_direct, r.in, any_md(r.weight_dims()),
                                       fpd.dst_desc(), strides, p, p);
    convolution_backward_data::primitive_desc bpd(bd, cpu_engine(), fpd);
    bwd_data_ = convolution_backward_data(bpd);
    data_impl_ = bpd.impl_info_str();
    w_bwd_ = copies_.get(w_plain_, bpd.weights_desc());
  }
  if (passes.weights) weight_grad_.setup(r, fpd, r.in, pad);
  return fpd.dst_desc();
}

void DirectConv::forward(const Tensor& in, const Tensor& out) {
  auto& st = cpu_stream();
  copies_.refresh(w_plain_, w_fwd_);
  fwd_.execute(st, {{DNNL_ARG_SRC, in.mem()},
                    {DNNL_ARG_WEIGHTS, w_fwd_},
                    {DNNL_ARG_BIAS, bias_},
                    {DNNL_ARG_DST, out.mem()}});
  st.wait();
}

void DirectConv::backward_data(const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  auto& st = cpu_stream();
  copies_.refresh(w_plain_, w_bwd_);
  bwd_data_.execute(st, {{DNNL_ARG_DIFF_DST, d_out.mem()},
                         {DNNL_ARG_WEIGHTS, w_bwd_},
                         {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  st.wait();
}

void DirectConv::backward_weights(const Tensor& in, const Tensor& d_out) { weight_grad_.run(in.mem(), d_out); }

std::string DirectConv::impl(Pass pass) const {
  return pass == Pass::forward ? fwd_impl_ : pass == Pass::backward_data ? data_impl_ : weight_grad_.impl();
}

}  // namespace alexnet
