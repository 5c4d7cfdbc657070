// Large buffers on transparent huge pages. Debian (like Ubuntu) sets THP to "madvise": a
// buffer gets 2 MB pages only if it asks, and the rest get 4 KB ones, whose TLB misses cost
// the streaming layers: alexnet-torchvision at batch 1, which reads its 235 MB of fc weights
// once per image, ran 128-130 -> 134-137 images/s with them on huge pages.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>

namespace alexnet {

struct FreeBuffer {
  void operator()(void* p) const { std::free(p); }
};
template <class T>
using HugeBuffer = std::unique_ptr<T[], FreeBuffer>;

// `bytes` of uninitialised memory, 64-byte aligned; from 4 MB on, 2 MB aligned and advised
// to huge pages (a hint: where THP is off it is an ordinary buffer).
void* huge_alloc(size_t bytes);

template <class T>
HugeBuffer<T> huge_buffer(size_t count) {
  return HugeBuffer<T>(static_cast<T*>(huge_alloc(count * sizeof(T))));
}

}  // namespace alexnet
