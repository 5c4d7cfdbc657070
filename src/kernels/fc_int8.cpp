#include "kernels/fc_int8.hpp"

#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

void Int8Fc::setup(const FcRequest& r) {
  if (!r.quant || r.mode == Mode::train) internal_error("the int8 fc layer runs inference of a quantized layer only");
  r_ = r;
  auto make = [&] {
    params_.make(r.params.weight, r.params.bias, r.out, r.in, *r.quant);
    stale_ = false;
  };
  if (stale_) make(), weights_ = memory();
  primitive_attr attr;
  attr.set_output_scales(1 << 1, params_.out_scales);
  if (r.quant->in_zero != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {r.quant->in_zero});
  if (r.relu) {
    post_ops ops;
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  const md src({r.batch, r.in}, dt::u8, tag::nc), weights({r.out, r.in}, dt::s8, tag::any);
  inner_product_forward::desc d(prop_kind::forward_inference, src, weights, plain_md({r.out}), plain_md({r.batch, r.out}));
  const inner_product_forward::primitive_desc pd(d, attr, cpu_engine());
  prim_ = inner_product_forward(pd);
  impl_ = params_.name() + " " + pd.impl_info_str();
  u8_in_ = memory(src, cpu_engine());
  quantize_.setup(plain_md({r.batch, r.in}), src, *r.quant);
  if (!weights_ || weights_.get_desc() != pd.weights_desc()) {
    if (params_.weights.empty()) make();
    weights_ = memory(pd.weights_desc(), cpu_engine());
    memory from(md({r.out, r.in}, dt::s8, tag::oi), cpu_engine(), params_.weights.data());
    alexnet::reorder(from, weights_);
    params_.weights = {};  // made again from the f32 values if another layout is asked for
  }
  bias_ = memory(plain_md({r.out}), cpu_engine(), params_.bias.data());
}

void Int8Fc::forward(const Tensor& in, const Tensor& out) {
  if (stale_) setup(r_);
  quantize_.run(in.mem(), u8_in_);
  prim_.execute(cpu_stream(), {{DNNL_ARG_SRC, u8_in_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_},
                               {DNNL_ARG_DST, out.mem()}});
  cpu_stream().wait();
}

}  // namespace alexnet
