#include "kernels/simd_level.hpp"

#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "kernels/simd/simd_kernels.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {
bool dnnl_has(dnnl::cpu_isa want) {
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa()), w = static_cast<unsigned>(want);
  return (isa & w) == w;  // oneDNN's ISA values are nested bit sets
}

const SimdKernels* simd_kernels_unchecked(SimdLevel level) {
  switch (level) {
    case SimdLevel::avx512:
      return &simd_avx512::kernels;
    case SimdLevel::avx2:
      return &simd_avx2::kernels;
    case SimdLevel::generic:
      break;
  }
  return &simd_generic::kernels;
}
}  // namespace

bool cpu_runs(SimdLevel level) {
  switch (level) {
    case SimdLevel::generic:
      return true;
    case SimdLevel::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdLevel::avx512:
      return cpu_runs(SimdLevel::avx2) && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
  }
  return false;
}

SimdLevel simd_level() {
  static const SimdLevel level = [] {
    if (dnnl_has(dnnl::cpu_isa::avx512_core) && cpu_runs(SimdLevel::avx512)) return SimdLevel::avx512;
    if (dnnl_has(dnnl::cpu_isa::avx2) && cpu_runs(SimdLevel::avx2)) return SimdLevel::avx2;
    return SimdLevel::generic;
  }();
  return level;
}

std::vector<SimdLevel> compiled_simd_levels() { return {SimdLevel::generic, SimdLevel::avx2, SimdLevel::avx512}; }

const char* simd_level_name(SimdLevel level) { return simd_kernels_unchecked(level)->level; }

const SimdKernels* simd_kernels(SimdLevel level) {
  if (!cpu_runs(level)) internal_error(std::string("SIMD level ") + simd_level_name(level) + " asked of a CPU without it");
  return simd_kernels_unchecked(level);
}

}  // namespace alexnet
