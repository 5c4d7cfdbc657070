// Which compiled level of the project's own SIMD loops runs (kernels/simd/simd_kernels.hpp).
// The level follows oneDNN's: AVX-512 where oneDNN dispatches avx512_core, AVX2 + FMA where it
// dispatches AVX2, the generic x86-64 build below that. So ONEDNN_MAX_CPU_ISA holds both, and a
// run asked for AVX2 on an AVX-512 machine is AVX2 throughout.
#pragma once
#include <vector>

namespace alexnet {

struct SimdKernels;

enum class SimdLevel { generic, avx2, avx512 };

SimdLevel simd_level();                      // the level of this process, decided once
bool cpu_runs(SimdLevel level);              // whether this CPU has the level's instructions
std::vector<SimdLevel> compiled_simd_levels();  // every level this binary carries
const char* simd_level_name(SimdLevel level);   // "generic", "avx2", "avx512"
// The level's loops; a level the CPU cannot run is an internal error.
const SimdKernels* simd_kernels(SimdLevel level = simd_level());

}  // namespace alexnet
