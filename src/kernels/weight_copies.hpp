// A layer's weights in the layouts its primitives asked for (oneDNN's blocked or Winograd
// forms), each brought up to date from the plain values only after they changed. Copies are
// kept across setups: a server's batches alternate between sizes for which oneDNN picks
// different algorithms (direct at batch 1, Winograd from batch 4 on AVX-512), and transforming
// torchvision's conv3-conv5 weights again on every switch cost ~35 ms a batch.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <memory>
#include <vector>

#include "tensor/tensor.hpp"

namespace alexnet {

class WeightCopies {
 public:
  // The copy of `plain` in layout `desc`, made on first use; `plain` itself when they agree.
  dnnl::memory get(const dnnl::memory& plain, const md& desc);
  // Brings `copy` (from get) up to date with the plain values, once after each change.
  void refresh(const dnnl::memory& plain, const dnnl::memory& copy);
  void stale();  // the plain values changed (an optimizer step, a load)
  // refresh() for an inference-only layer: copies `plain` (2-D, [out, in]) a block of rows at
  // a time and gives each block's pages back to the system once copied, so the two copies
  // never coexist whole (alexnet-torchvision's fc6: +151 MB at the peak otherwise). `plain`
  // reads as zeros afterwards.
  void refresh_releasing(const dnnl::memory& plain, const dnnl::memory& copy);

 private:
  struct Copy {
    dnnl::memory mem;
    std::shared_ptr<void> buffer;  // mem's (on huge pages)
    dnnl::reorder from_plain;
    bool fresh = false;
  };
  static constexpr size_t kMaxCopies = 4;  // more layouts than this are not seen in practice
  std::vector<Copy> copies_;
};

}  // namespace alexnet
