#include "tensor/engine.hpp"

#include <omp.h>

#include <cstdlib>

#include "tensor/cpu_quota.hpp"

namespace alexnet {

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& cpu_stream() {
  static dnnl::stream strm(cpu_engine());
  return strm;
}

void set_threads(int n) {
  if (n > 0) {
    omp_set_num_threads(n);
    return;
  }
  // OpenMP's default is every core this process may run on (or OMP_NUM_THREADS, which is the
  // user's word); a CPU quota may allow fewer.
  static const int quota_default = default_threads(omp_get_num_procs(), cpu_quota_cores());
  if (!std::getenv("OMP_NUM_THREADS")) omp_set_num_threads(quota_default);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace alexnet
