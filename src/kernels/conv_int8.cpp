#include "kernels/conv_int8.hpp"

#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

namespace {

// Per output channel (mask bit 1) the dequantization, the input's zero point, the ReLU.
primitive_attr int8_attr(const ConvShape& s, const LayerQuant& q, const std::vector<float>& out_scales) {
  primitive_attr attr;
  attr.set_output_scales(1 << 1, out_scales);
  if (q.in_zero != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {q.in_zero});
  if (s.relu) {
    post_ops ops;
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return attr;
}

}  // namespace

md Int8Conv::setup(const ConvRequest& r) {
  if (!r.quant || r.training()) internal_error("the int8 convolution runs inference of a quantized layer only");
  r_ = r;
  const ConvShape& s = r.shape;
  const dims strides{s.stride, s.stride}, pad{s.pad, s.pad};
  const md src(r.in.dims(), dt::u8, tag::any), weights(r.weight_dims(), dt::s8, tag::any);
  // The next layer reads the CPU's activation layout best; oneDNN's own otherwise.
  auto pd_for = [&](const md& dst) {
    convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, src, weights,
                                r.bias_md(), dst, strides, pad, pad);
    return convolution_forward::primitive_desc(d, int8_attr(s, *r.quant, params_.out_scales), cpu_engine());
  };
  if (stale_) make_weights(), weights_ = memory();
  auto pd = pd_for(activation_md(r.out_dims()));
  if (!impl_is_direct(pd.impl_info_str())) pd = pd_for(md(r.out_dims(), dt::f32, tag::any));
  prim_ = convolution_forward(pd);
  impl_ = params_.name() + " " + pd.impl_info_str();
  u8_in_ = memory(pd.src_desc(), cpu_engine());
  quantize_.setup(r.in, pd.src_desc(), *r.quant);
  if (!weights_ || weights_.get_desc() != pd.weights_desc()) {
    if (params_.weights.empty()) make_weights();
    weights_ = memory(pd.weights_desc(), cpu_engine());
    const md plain(r.weight_dims(), dt::s8, s.groups == 1 ? tag::oihw : tag::goihw);
    memory from(plain, cpu_engine(), params_.weights.data());
    alexnet::reorder(from, weights_);
    params_.weights = {};  // made again from the f32 values if another layout is asked for
  }
  bias_ = memory(r.bias_md(), cpu_engine(), params_.bias.data());
  return pd.dst_desc();
}

void Int8Conv::make_weights() {
  const ConvShape& s = r_.shape;
  params_.make(r_.params.weight, r_.params.bias, s.out, int64_t(s.in / s.groups) * s.kernel * s.kernel, *r_.quant);
  stale_ = false;
}

void Int8Conv::forward(const Tensor& in, const Tensor& out) {
  if (stale_) setup(r_);
  quantize_.run(in.mem(), u8_in_);
  prim_.execute(cpu_stream(), {{DNNL_ARG_SRC, u8_in_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_},
                               {DNNL_ARG_DST, out.mem()}});
  cpu_stream().wait();
}

}  // namespace alexnet
