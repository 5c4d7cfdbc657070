#include "tensor/layout.hpp"

namespace alexnet {

namespace {
bool has(dnnl::cpu_isa isa, dnnl::cpu_isa want) {
  const auto i = static_cast<unsigned>(isa), w = static_cast<unsigned>(want);
  return (i & w) == w;  // oneDNN's ISA values are nested bit sets
}
}  // namespace

tag activation_tag() {
  static const tag t = [] {
    const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
    if (has(isa, dnnl::cpu_isa::avx512_core)) return tag::nChw16c;
    if (has(isa, dnnl::cpu_isa::avx2)) return tag::nChw8c;
    return tag::any;
  }();
  return t;
}

md activation_md(const dims& shape, bool training) {
  const tag t = activation_tag();
  return md(shape, dt::f32, t == tag::any && training ? tag::nchw : t);
}

const char* cpu_isa_name() {
  const dnnl::cpu_isa isa = dnnl::get_effective_cpu_isa();
  if (has(isa, dnnl::cpu_isa::avx512_core)) return "avx512_core";
  if (has(isa, dnnl::cpu_isa::avx2)) return "avx2";
  if (has(isa, dnnl::cpu_isa::avx)) return "avx";
  if (has(isa, dnnl::cpu_isa::sse41)) return "sse41";
  return "baseline";
}

bool impl_is_gemm(const std::string& impl) {
  return impl.rfind("x64:gemm", 0) == 0 || impl.rfind("gemm", 0) == 0;  // not brgemm
}

bool impl_is_direct(const std::string& impl) { return impl.rfind("ref", 0) != 0 && !impl_is_gemm(impl); }

}  // namespace alexnet
