#include "kernels/conv_request.hpp"

#include "kernels/fused_relu.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

using namespace dnnl;

dims ConvRequest::out_dims() const {
  const dims d = in.dims();
  const ConvShape& s = shape;
  return {d[0], s.out, (d[2] + 2 * s.pad - s.kernel) / s.stride + 1, (d[3] + 2 * s.pad - s.kernel) / s.stride + 1};
}

dims ConvRequest::weight_dims() const {
  const ConvShape& s = shape;
  if (s.groups == 1) return {s.out, s.in, s.kernel, s.kernel};
  return {s.groups, s.out / s.groups, s.in / s.groups, s.kernel, s.kernel};
}

md ConvRequest::plain_weight_md() const {
  return md(weight_dims(), dt::f32, shape.groups == 1 ? tag::oihw : tag::goihw);
}

md ConvRequest::bias_md() const { return md({shape.out}, dt::f32, tag::x); }

WinogradShape ConvRequest::winograd_forward() const {
  const dims d = in.dims();
  const ConvShape& s = shape;
  return {s.in, s.out, d[2], d[3], s.kernel, s.pad, s.groups, s.relu};
}

WinogradShape ConvRequest::winograd_backward_data() const {
  const dims o = out_dims();
  const ConvShape& s = shape;
  return {s.out, s.in, o[2], o[3], s.kernel, s.kernel - 1 - s.pad, s.groups, false};
}

convolution_forward::primitive_desc conv_forward_pd(const ConvRequest& r, const md& src, const md& dst,
                                                    int64_t pad, const md& weights) {
  const dims strides{r.shape.stride, r.shape.stride}, p{pad, pad};
  const prop_kind prop = r.training() ? prop_kind::forward_training : prop_kind::forward_inference;
  const algorithm algo = r.training() ? algorithm::convolution_direct : algorithm::convolution_auto;
  convolution_forward::desc fd(prop, algo, src, weights ? weights : any_md(r.weight_dims()), r.bias_md(),
                               dst, strides, p, p);
  return convolution_forward::primitive_desc(fd, relu_post_op(r.shape.relu), cpu_engine());
}

void ConvWeightGradient::setup(const ConvRequest& r, const convolution_forward::primitive_desc& fpd,
                               const md& src, int64_t pad) {
  const dims strides{r.shape.stride, r.shape.stride}, p{pad, pad};
  convolution_backward_weights::desc wd(algorithm::convolution_direct, src, any_md(r.weight_dims()),
                                        r.bias_md(), fpd.dst_desc(), strides, p, p);
  convolution_backward_weights::primitive_desc wpd(wd, cpu_engine(), fpd);
  prim_ = convolution_backward_weights(wpd);
  impl_ = wpd.impl_info_str();
  dw_plain_ = memory(r.plain_weight_md(), cpu_engine(), r.params.d_weight);
  dw_ = wpd.diff_weights_desc() == dw_plain_.get_desc() ? dw_plain_ : memory(wpd.diff_weights_desc(), cpu_engine());
  from_dw_ = dw_ != dw_plain_ ? dnnl::reorder(dw_, dw_plain_) : dnnl::reorder();
  d_bias_ = memory(r.bias_md(), cpu_engine(), r.params.d_bias);
}

void ConvWeightGradient::run(const memory& src, const Tensor& d_out) {
  auto& st = cpu_stream();
  prim_.execute(st, {{DNNL_ARG_SRC, src},
                     {DNNL_ARG_DIFF_DST, d_out.mem()},
                     {DNNL_ARG_DIFF_WEIGHTS, dw_},
                     {DNNL_ARG_DIFF_BIAS, d_bias_}});
  if (from_dw_) from_dw_.execute(st, dw_, dw_plain_);
  st.wait();
}

}  // namespace alexnet
