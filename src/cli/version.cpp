#include "cli/version.hpp"

#include <alexnet/version.hpp>
#include <oneapi/dnnl/dnnl.hpp>

#include <exception>

#include "kernels/simd_level.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet::cli {

namespace {
std::string onednn_line() {
  const dnnl_version_t* v = dnnl_version();
  return "oneDNN " + std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->patch) +
         ", dispatching " + cpu_isa_name() + " on this CPU (ONEDNN_MAX_CPU_ISA limits it)";
}

std::string kernels_line() {
  std::string carried;
  for (SimdLevel level : compiled_simd_levels()) carried += std::string(carried.empty() ? "" : ", ") + simd_level_name(level);
  const SimdLevel level = simd_level();
  std::string line = std::string("own kernels: ") + simd_level_name(level) + " (built for " + carried + ")";
  if (level == SimdLevel::generic) line += "; no AVX2 here: the generic x86-64 path, same numbers, slower";
  return line;
}

std::string threads_line() {
  set_threads(0);  // what a command without --threads computes with
  return "threads: " + std::to_string(num_threads()) + " (--threads, OMP_NUM_THREADS, or the cores a CPU quota allows)";
}

std::string or_unknown(std::string (*line)(), const char* what) {
  try {
    return line();
  } catch (const std::exception& e) {
    return std::string(what) + ": unknown (" + e.what() + ")";
  }
}
}  // namespace

std::string version_report() {
  return std::string("alexnet ") + ALEXNET_VERSION_STRING + "\n" + or_unknown(onednn_line, "oneDNN") + "\n" +
         or_unknown(kernels_line, "own kernels") + "\n" + or_unknown(threads_line, "threads");
}

}  // namespace alexnet::cli
