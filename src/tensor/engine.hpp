// The one oneDNN CPU engine and stream of the process. oneDNN's primitives run on the
// OpenMP threads of libgomp; set_threads() sets how many.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

namespace alexnet {

dnnl::engine& cpu_engine();
dnnl::stream& cpu_stream();
void set_threads(int n);  // n <= 0: OpenMP's default, within a CPU quota (tensor/cpu_quota.hpp)
int num_threads();

}  // namespace alexnet
