#include "kernels/int8_simulated.hpp"

#include "kernels/int8_product.hpp"
#include "tensor/engine.hpp"

namespace alexnet {

using namespace dnnl;

SimulatedInt8::SimulatedInt8(std::shared_ptr<Kernel> f32, const md& in, const LayerQuant& q)
    : f32_(std::move(f32)), rounded_(in) {
  md u8_desc = in;
  u8_desc.data.data_type = dnnl_u8;  // the same layout, one byte an element
  u8_ = memory(u8_desc, cpu_engine());
  quantize_ = quantize_reorder(in, u8_desc, q);
  dequantize_ = dequantize_reorder(u8_desc, in, q);
}

void SimulatedInt8::forward(const Tensor& in, const Tensor& out) {
  auto& st = cpu_stream();
  quantize_.execute(st, {{DNNL_ARG_FROM, in.mem()}, {DNNL_ARG_TO, u8_}});
  dequantize_.execute(st, {{DNNL_ARG_FROM, u8_}, {DNNL_ARG_TO, rounded_.mem()}});
  st.wait();
  f32_->forward(rounded_, out);
}

std::string SimulatedInt8::impl(Pass pass) const { return f32_->impl(pass) + " on int8-rounded input"; }

}  // namespace alexnet
