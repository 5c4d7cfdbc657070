// The environment every test runs in.
//
// CTest runs the suite again with oneDNN held to AVX2 (ONEDNN_MAX_CPU_ISA=AVX2, the .avx2 tests)
// so that an AVX-512 machine also proves the AVX2 paths users' laptops and servers take. On a
// CPU without AVX-512 that run would repeat the native one exactly, kernel for kernel: there
// every test of it skips itself, saying why.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "kernels/simd_level.hpp"

namespace alexnet {
namespace {

class NativeIsAvx2Already : public testing::Environment {
 public:
  void SetUp() override {
    const char* limit = std::getenv("ONEDNN_MAX_CPU_ISA");
    if (!limit || std::string(limit) != "AVX2" || cpu_runs(SimdLevel::avx512)) return;
    // gtest reports a skip in an environment as passed: the line CTest takes for a skip.
    std::printf("[  SKIPPED ] this CPU has no AVX-512: its native run is the AVX2 run\n");
    GTEST_SKIP();
  }
};

const testing::Environment* const kEnvironment = testing::AddGlobalTestEnvironment(new NativeIsAvx2Already);

// The tests compute with the table's kernels (kernels/tuning.hpp), in this process and in the
// commands they start, so that a result never depends on what a busy moment measured; the
// tuning tests turn measuring on for themselves. ALEXNET_TUNE=on in the environment runs the
// whole suite on measured choices instead.
[[maybe_unused]] const bool kTableKernels = setenv("ALEXNET_TUNE", "off", 0) == 0;

}  // namespace
}  // namespace alexnet
