// Large buffers on transparent huge pages. Debian (like Ubuntu) sets THP to "madvise": a
// buffer gets 2 MB pages only if it asks, and the rest get 4 KB ones, whose TLB misses cost
// the streaming layers: alexnet-torchvision at batch 1, which reads its 235 MB of fc weights
// once per image, ran 128-130 -> 134-137 images/s with them on huge pages.
#pragma once
#include <cstddef>
#include <cstring>
#include <memory>

namespace alexnet {

// Where buffers start. Vector kernels want whole cache lines (64). But oneDNN's AVX2 gemm
// reads a line-aligned matrix in place and a misaligned one through a packed copy, and in
// place the fc layers' weights ([4096, 9216], rows 36 KB apart) ran the 2012 net's fc6
// backward-data at 62 ms instead of 43: the parameter arenas start 16 bytes past a line, where
// malloc puts large blocks.
constexpr size_t kLineShift = 64, kGemmShift = 16;

// `bytes` of uninitialised memory starting `shift` bytes past a 64-byte (from 4 MB on: a 2 MB)
// boundary, and from 4 MB on advised to huge pages (a hint: where THP is off it is an ordinary
// buffer). Freed by huge_free.
void* huge_alloc(size_t bytes, size_t shift = kLineShift);
void huge_free(void* p);

struct FreeBuffer {
  void operator()(void* p) const { huge_free(p); }
};
template <class T>
using HugeBuffer = std::unique_ptr<T[], FreeBuffer>;

template <class T>
HugeBuffer<T> huge_buffer(size_t count, size_t shift = kLineShift) {
  return HugeBuffer<T>(static_cast<T*>(huge_alloc(count * sizeof(T), shift)));
}

// The same, filled with zero bytes.
template <class T>
HugeBuffer<T> huge_zeros(size_t count, size_t shift = kLineShift) {
  HugeBuffer<T> b = huge_buffer<T>(count, shift);
  std::memset(b.get(), 0, count * sizeof(T));
  return b;
}

}  // namespace alexnet
