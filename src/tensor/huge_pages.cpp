#include "tensor/huge_pages.hpp"

#include <sys/mman.h>

#include <new>

namespace alexnet {

void* huge_alloc(size_t bytes) {
  constexpr size_t kHuge = size_t{2} << 20, kLine = 64;
  const size_t align = bytes >= 2 * kHuge ? kHuge : kLine;
  const size_t rounded = (bytes + align - 1) / align * align;
  void* p = std::aligned_alloc(align, rounded == 0 ? align : rounded);
  if (!p) throw std::bad_alloc();
  if (align == kHuge) madvise(p, rounded, MADV_HUGEPAGE);
  return p;
}

}  // namespace alexnet
