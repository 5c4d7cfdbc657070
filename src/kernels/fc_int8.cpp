#include "kernels/fc_int8.hpp"

#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

void Int8Fc::setup(const FcRequest& r) {
  if (!r.quant || r.mode == Mode::train) internal_error("the int8 fc layer runs inference of a quantized layer only");
  r_ = r;
  product_.set_layer(r.params.weight, r.params.bias, r.out, r.in, *r.quant);
  const md src({r.batch, r.in}, dt::u8, tag::nc), weights({r.out, r.in}, dt::s8, tag::any);
  inner_product_forward::desc d(prop_kind::forward_inference, src, weights, plain_md({r.out}), plain_md({r.batch, r.out}));
  const inner_product_forward::primitive_desc pd(d, product_.attr(r.relu), cpu_engine());
  product_.bind<inner_product_forward>(pd, plain_md({r.batch, r.in}), md({r.out, r.in}, dt::s8, tag::oi));
}

void Int8Fc::forward(const Tensor& in, const Tensor& out) {
  if (product_.stale()) setup(r_);
  product_.run(in, out);
}

}  // namespace alexnet
