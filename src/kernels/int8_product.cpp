#include "kernels/int8_product.hpp"

#include "kernels/fused_relu.hpp"
#include "tensor/engine.hpp"

namespace alexnet {

using namespace dnnl;

dnnl::reorder quantize_reorder(const md& from, const md& to, const LayerQuant& q) {
  primitive_attr a;
  a.set_output_scales(0, {1.f / q.in_scale});
  if (q.in_zero != 0) a.set_zero_points(DNNL_ARG_DST, 0, {q.in_zero});
  return dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to, a));
}

dnnl::reorder dequantize_reorder(const md& from, const md& to, const LayerQuant& q) {
  primitive_attr a;
  a.set_output_scales(0, {q.in_scale});
  if (q.in_zero != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {q.in_zero});
  return dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), from, cpu_engine(), to, a));
}

void Int8Product::set_layer(const float* weight, const float* bias, int64_t out, int64_t per_out,
                            const LayerQuant& q) {
  weight_ = weight, bias_values_ = bias, out_ = out, per_out_ = per_out, q_ = &q;
  if (!stale_) return;
  params_.make(weight, bias, out, per_out, q);
  weights_ = memory();  // reordered again in bind
  stale_ = false;
}

primitive_attr Int8Product::attr(bool relu) const {
  primitive_attr a = relu_post_op(relu);
  a.set_output_scales(1 << 1, params_.out_scales);
  if (q_->in_zero != 0) a.set_zero_points(DNNL_ARG_SRC, 0, {q_->in_zero});
  return a;
}

void Int8Product::bind_primitive(const primitive& p, const std::string& impl, const md& u8_in, const md& weights,
                                 const md& bias, const md& in, const md& plain) {
  prim_ = p;
  impl_ = params_.name() + " " + impl;
  u8_in_ = memory(u8_in, cpu_engine());
  quantize_ = quantize_reorder(in, u8_in, *q_);
  if (!weights_ || weights_.get_desc() != weights) {
    if (params_.weights.empty()) params_.make(weight_, bias_values_, out_, per_out_, *q_);
    weights_ = memory(weights, cpu_engine());
    alexnet::reorder(memory(plain, cpu_engine(), params_.weights.data()), weights_);
    params_.weights = {};  // made again from the f32 values if another layout is asked for
  }
  bias_ = memory(bias, cpu_engine(), params_.bias.data());
}

void Int8Product::run(const Tensor& in, const Tensor& out) const {
  auto& st = cpu_stream();
  quantize_.execute(st, {{DNNL_ARG_FROM, in.mem()}, {DNNL_ARG_TO, u8_in_}});
  prim_.execute(st, {{DNNL_ARG_SRC, u8_in_}, {DNNL_ARG_WEIGHTS, weights_}, {DNNL_ARG_BIAS, bias_},
                     {DNNL_ARG_DST, out.mem()}});
  st.wait();
}

}  // namespace alexnet
