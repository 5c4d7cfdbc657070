// The parameters of local response normalisation (docs/spec.md, architectures), on their own:
// the per-level LRN loops (kernels/simd/) see this and no other header of the library.
#pragma once

namespace alexnet {

struct LrnParams {
  int size = 5;
  float alpha = 1e-4f, beta = 0.75f, k = 2.f;
};

}  // namespace alexnet
