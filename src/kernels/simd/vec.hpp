// V floats as one value, through GCC's vector extension: each operation compiles to one
// instruction of the width at hand (two on narrower CPUs), with no intrinsics. The channel
// blocks of nChw8c / nChw16c are exactly such values (simd/winograd_tiles.cpp, lrn_blocked.cpp).
// Included only by the files of simd/, which are compiled once per instruction-set level: these
// helpers live in that level's namespace, so that the linker never takes one level's copy of an
// inline function for another's (an AVX-512 load() picked for the AVX2 build would be SIGILL).
#pragma once
#include <cstdint>
#include <cstring>

#ifndef ALEXNET_SIMD_NS
#error "kernels/simd/vec.hpp belongs to the per-level files of kernels/simd/"
#endif

namespace alexnet::ALEXNET_SIMD_NS {

template <int V>
struct Lanes {
  typedef float type __attribute__((vector_size(V * sizeof(float))));
  typedef int32_t index __attribute__((vector_size(V * sizeof(int32_t))));
};
template <int V>
using vec = typename Lanes<V>::type;

template <int V>
inline vec<V> load(const float* p) {
  vec<V> x;
  std::memcpy(&x, p, sizeof x);
  return x;
}

template <int V>
inline void store(float* p, vec<V> x) {
  std::memcpy(p, &x, sizeof x);
}

template <int V>
inline vec<V> splat(float f) {
  vec<V> x;
  for (int i = 0; i < V; ++i) x[i] = f;
  return x;
}

}  // namespace alexnet::ALEXNET_SIMD_NS
