#include "tensor/huge_pages.hpp"

#include <sys/mman.h>

#include <cstring>
#include <new>

namespace alexnet {

void* huge_alloc(size_t bytes, size_t shift) {
  constexpr size_t kHuge = size_t{2} << 20, kLine = 64;
  if (shift < sizeof(void*) || shift % 16) throw std::bad_alloc();
  const bool huge = bytes >= 2 * kHuge;
  const size_t align = huge ? kHuge : kLine;
  const size_t rounded = (bytes + shift + align - 1) / align * align;
  void* raw = std::aligned_alloc(align, rounded);
  if (!raw) throw std::bad_alloc();
  if (huge) madvise(raw, rounded, MADV_HUGEPAGE);
  char* data = static_cast<char*>(raw) + shift;
  std::memcpy(data - sizeof(void*), &raw, sizeof(void*));  // for huge_free
  return data;
}

void huge_free(void* p) {
  if (!p) return;
  void* raw;
  std::memcpy(&raw, static_cast<char*>(p) - sizeof(void*), sizeof(void*));
  std::free(raw);
}

}  // namespace alexnet
