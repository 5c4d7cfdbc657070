// Buffers from huge_alloc start where they were asked to, relative to the line and 2 MB
// boundaries, are writable end to end, and are given back by huge_free.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "tensor/huge_pages.hpp"

namespace alexnet {
namespace {

TEST(HugePages, BuffersStartWhereAskedAndHoldTheirBytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  for (size_t bytes : {size_t{1}, size_t{4096}, size_t{3} << 20, size_t{9} << 20})
    for (size_t shift : {kLineShift, kGemmShift}) {
      char* p = static_cast<char*>(huge_alloc(bytes, shift));
      const uintptr_t a = reinterpret_cast<uintptr_t>(p);
      EXPECT_EQ(a % 64, shift % 64) << bytes;
      if (bytes >= 2 * kHuge) {
        EXPECT_EQ(a % kHuge, shift) << bytes;
      }
      std::memset(p, 0x5a, bytes);
      EXPECT_EQ(p[bytes - 1], 0x5a);
      huge_free(p);
    }
  HugeBuffer<float> b = huge_buffer<float>(1 << 21, kGemmShift);  // 8 MB, freed on scope exit
  b[(1 << 21) - 1] = 1.f;
  EXPECT_EQ(b[(1 << 21) - 1], 1.f);
}

}  // namespace
}  // namespace alexnet
