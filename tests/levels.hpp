// The instruction-set levels of the project's own SIMD loops that this CPU runs: the tests of
// those loops check each one, the generic one included (kernels/simd/simd_kernels.hpp).
#pragma once
#include <vector>

#include "kernels/simd_level.hpp"

namespace alexnet::test {

inline std::vector<SimdLevel> levels_this_cpu_runs() {
  std::vector<SimdLevel> levels;
  for (SimdLevel level : compiled_simd_levels())
    if (cpu_runs(level)) levels.push_back(level);
  return levels;
}

}  // namespace alexnet::test
