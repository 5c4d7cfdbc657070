#include "kernels/conv_int8.hpp"

#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

md Int8Conv::setup(const ConvRequest& r) {
  if (!r.quant || r.training()) internal_error("the int8 convolution runs inference of a quantized layer only");
  r_ = r;
  const ConvShape& s = r.shape;
  product_.set_layer(r.params.weight, r.params.bias, s.out, int64_t(s.in / s.groups) * s.kernel * s.kernel, *r.quant);
  const dims strides{s.stride, s.stride}, pad{s.pad, s.pad};
  const md src(r.in.dims(), dt::u8, tag::any), weights(r.weight_dims(), dt::s8, tag::any);
  // The next layer reads the CPU's activation layout best; oneDNN's own otherwise.
  auto pd_for = [&](const md& dst) {
    convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, src, weights,
                                r.bias_md(), dst, strides, pad, pad);
    return convolution_forward::primitive_desc(d, product_.attr(s.relu), cpu_engine());
  };
  auto pd = pd_for(activation_md(r.out_dims()));
  if (!impl_is_direct(pd.impl_info_str())) pd = pd_for(md(r.out_dims(), dt::f32, tag::any));
  product_.bind<convolution_forward>(pd, r.in, md(r.weight_dims(), dt::s8, s.groups == 1 ? tag::oihw : tag::goihw));
  return pd.dst_desc();
}

void Int8Conv::forward(const Tensor& in, const Tensor& out) {
  if (product_.stale()) setup(r_);
  product_.run(in, out);
}

}  // namespace alexnet
