#include "layers/flatten.hpp"

#include "tensor/engine.hpp"

namespace alexnet {

using namespace dnnl;

md Flatten::setup(const md& in, Mode mode, bool need_d_in) {
  in_md_ = in;
  plain4_md_ = plain_md(in.dims());
  to_plain_ = dnnl::reorder(reorder::primitive_desc(cpu_engine(), in, cpu_engine(), plain4_md_));
  if (mode == Mode::train && need_d_in)
    from_plain_ = dnnl::reorder(reorder::primitive_desc(cpu_engine(), plain4_md_, cpu_engine(), in));
  const dims d = in.dims();
  int64_t features = 1;
  for (size_t i = 1; i < d.size(); ++i) features *= d[i];
  return plain_md({d[0], features});
}

void Flatten::forward(const Tensor& in, const Tensor& out) {
  memory dst(plain4_md_, cpu_engine(), out.data());
  to_plain_.execute(cpu_stream(), const_cast<memory&>(in.mem()), dst);
  cpu_stream().wait();
}

void Flatten::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (d_in.empty()) return;
  memory src(plain4_md_, cpu_engine(), d_out.data());
  from_plain_.execute(cpu_stream(), src, const_cast<memory&>(d_in.mem()));
  cpu_stream().wait();
}

}  // namespace alexnet
