// The floating-point element types weight files hold, converted to float32 on reading.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace alexnet {

enum class FloatType { f32, f16, bf16, f64 };

size_t float_size(FloatType t);
float half_to_float(uint16_t h);
// Converts n elements of type t at src (little-endian, any alignment) into dst.
void to_float32(const char* src, FloatType t, size_t n, float* dst);
float element_to_float(const char* src, FloatType t);

}  // namespace alexnet
