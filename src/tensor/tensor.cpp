#include "tensor/tensor.hpp"

#include "tensor/engine.hpp"

namespace alexnet {

namespace {
tag plain_tag(size_t rank) {
  switch (rank) {
    case 1: return tag::a;
    case 2: return tag::ab;
    case 3: return tag::abc;
    case 4: return tag::abcd;
    case 5: return tag::abcde;
    default: return tag::abcdef;
  }
}
}  // namespace

md plain_md(const dims& shape) { return md(shape, dt::f32, plain_tag(shape.size())); }
md any_md(const dims& shape) { return md(shape, dt::f32, tag::any); }

int64_t numel(const dims& shape) {
  int64_t n = 1;
  for (auto d : shape) n *= d;
  return n;
}

std::string shape_str(const dims& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

Tensor::Tensor(const md& desc) : mem_(desc, cpu_engine()) {}
Tensor::Tensor(const md& desc, void* external) : mem_(desc, cpu_engine(), external) {}

void reorder(const dnnl::memory& src, const dnnl::memory& dst) {
  dnnl::reorder(src, dst).execute(cpu_stream(), const_cast<dnnl::memory&>(src),
                                  const_cast<dnnl::memory&>(dst));
  cpu_stream().wait();
}

Tensor to_plain(const Tensor& src) {
  Tensor out = Tensor::plain(src.shape());
  reorder(src.mem(), out.mem());
  return out;
}

}  // namespace alexnet
