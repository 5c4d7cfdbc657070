#include "kernels/fused_relu.hpp"

#include "tensor/engine.hpp"

namespace alexnet {

using namespace dnnl;

primitive_attr relu_post_op(bool relu) {
  primitive_attr attr;
  if (relu) {
    post_ops ops;
    ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
    attr.set_post_ops(ops);
  }
  return attr;
}

eltwise_backward relu_backward_for(const md& dst) {
  eltwise_forward::primitive_desc hint(
      eltwise_forward::desc(prop_kind::forward_training, algorithm::eltwise_relu_use_dst_for_bwd, dst, 0.f, 0.f),
      cpu_engine());
  return eltwise_backward(eltwise_backward::primitive_desc(
      eltwise_backward::desc(algorithm::eltwise_relu_use_dst_for_bwd, dst, dst, 0.f, 0.f), cpu_engine(), hint));
}

void run_relu_backward(const eltwise_backward& p, const Tensor& out, const Tensor& d_out) {
  p.execute(cpu_stream(), {{DNNL_ARG_DST, out.mem()}, {DNNL_ARG_DIFF_DST, d_out.mem()}, {DNNL_ARG_DIFF_SRC, d_out.mem()}});
}

}  // namespace alexnet
