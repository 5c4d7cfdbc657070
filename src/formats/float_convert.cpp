#include "formats/float_convert.hpp"

#include <cstring>

namespace alexnet {

size_t float_size(FloatType t) {
  switch (t) {
    case FloatType::f32: return 4;
    case FloatType::f64: return 8;
    default: return 2;
  }
}

float half_to_float(uint16_t h) {
  const uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = mant;
      do { ++e; m <<= 1; } while ((m & 0x400) == 0);
      bits = sign | ((127 - 15 - e) << 23) | ((m & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

float element_to_float(const char* src, FloatType t) {
  float f;
  switch (t) {
    case FloatType::f32:
      std::memcpy(&f, src, 4);
      return f;
    case FloatType::f64: {
      double d;
      std::memcpy(&d, src, 8);
      return static_cast<float>(d);
    }
    case FloatType::f16: {
      uint16_t h;
      std::memcpy(&h, src, 2);
      return half_to_float(h);
    }
    case FloatType::bf16: {
      uint16_t h;
      std::memcpy(&h, src, 2);
      const uint32_t bits = static_cast<uint32_t>(h) << 16;
      std::memcpy(&f, &bits, 4);
      return f;
    }
  }
  return 0;
}

void to_float32(const char* src, FloatType t, size_t n, float* dst) {
  if (n == 0) return;  // an empty tensor's storage may be a null pointer
  if (t == FloatType::f32) {
    std::memcpy(dst, src, 4 * n);
    return;
  }
  const size_t sz = float_size(t);
  for (size_t i = 0; i < n; ++i) dst[i] = element_to_float(src + sz * i, t);
}

}  // namespace alexnet
