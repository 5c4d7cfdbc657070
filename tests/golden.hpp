// The deterministic fill pattern shared with tools/make_golden.py: an integer hash, exact in
// both languages, so golden tests regenerate weights and inputs instead of storing them.
#pragma once
#include <cmath>
#include <cstdint>
#include <vector>

#include "model/network.hpp"

namespace alexnet::test {

inline uint32_t hash_u32(uint64_t idx, uint64_t salt) {
  uint64_t x = (idx * 0x9E3779B1ull + salt * 0x85EBCA77ull) & 0xFFFFFFFFull;
  x ^= x >> 15;
  x = (x * 0x2C1B3C6Dull) & 0xFFFFFFFFull;
  x ^= x >> 12;
  x = (x * 0x297A2D39ull) & 0xFFFFFFFFull;
  x ^= x >> 15;
  return static_cast<uint32_t>(x);
}

inline void pattern(float* out, int64_t n, uint64_t salt, double scale) {
  for (int64_t i = 0; i < n; ++i)
    out[i] = static_cast<float>((hash_u32(i, salt) / 4294967296.0 - 0.5) * scale);
}

inline std::vector<int64_t> sample_index(int64_t n, int k = 64) {
  std::vector<int64_t> idx(k);
  for (int i = 0; i < k; ++i) idx[i] = hash_u32(i, 7777) % static_cast<uint64_t>(n);
  return idx;
}

inline void fill_golden_weights(Network& net) {
  int i = 0;
  for (Param* p : net.params()) {
    const int64_t fan_in = p->shape.size() > 1 ? p->size() / p->shape[0] : 1;
    const double scale = p->shape.size() > 1 ? std::sqrt(2.0 / fan_in) * std::sqrt(12.0) * 0.8 : 0.1;
    pattern(p->value, p->size(), 1000 + i++, scale);
  }
  net.params_changed();
}

}  // namespace alexnet::test
