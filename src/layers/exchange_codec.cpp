#include "layers/exchange_codec.hpp"

#include <cstring>

#include "layers/dropout.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {
// The units of block b, in its own row-by-row order, as places in the gathered [*, width].
template <class F>
void for_each_unit(const Block& b, int64_t width, F f) {
  for (int64_t i = 0; i < b.rows; ++i) {
    const int64_t at = (b.row + i) * width + b.col;
    for (int64_t j = 0; j < b.cols; ++j) f(i * b.cols + j, at + j);
  }
}
}  // namespace

void ExchangeCodec::setup(int64_t rows, int64_t width, const Dropout* next, bool relu_output) {
  width_ = width;
  next_ = next;
  relu_output_ = relu_output;
  travels_back_.assign(static_cast<size_t>(rows * width), 0);
}

bool ExchangeCodec::keeps(int64_t unit) const { return !next_ || !next_->drops() || next_->keeps(unit); }

std::vector<float> ExchangeCodec::pack_values(const float* block_values, const Block& b) const {
  std::vector<uint32_t> bits;
  std::vector<float> values;
  int64_t kept = 0;
  for_each_unit(b, width_, [&](int64_t local, int64_t unit) {
    if (!keeps(unit)) return;
    if (kept % 32 == 0) bits.push_back(0);
    if (block_values[local] != 0.f) {
      bits.back() |= 1u << (kept % 32);
      values.push_back(block_values[local]);
    }
    ++kept;
  });
  std::vector<float> message(bits.size() + values.size());
  std::memcpy(message.data(), bits.data(), sizeof(uint32_t) * bits.size());  // bits, not numbers
  std::memcpy(message.data() + bits.size(), values.data(), sizeof(float) * values.size());
  return message;
}

void ExchangeCodec::unpack_values(const float* message, int64_t message_size, const Block& b, float* gathered) {
  int64_t kept = 0;
  for_each_unit(b, width_, [&](int64_t, int64_t unit) { kept += keeps(unit); });
  const int64_t words = (kept + 31) / 32;
  if (message_size < words) internal_error("an exchange's message is shorter than its bitmask");
  std::vector<uint32_t> bits(static_cast<size_t>(words));
  std::memcpy(bits.data(), message, sizeof(uint32_t) * words);
  const float* value = message + words;
  const float* end = message + message_size;
  int64_t k = 0;
  for_each_unit(b, width_, [&](int64_t, int64_t unit) {
    float v = 0.f;
    if (keeps(unit)) {
      if (bits[k / 32] >> (k % 32) & 1u) {
        if (value == end) internal_error("an exchange's message is shorter than its bitmask says");
        v = *value++;
      }
      travels_back_[unit] = !relu_output_ || v != 0.f;
      ++k;
    } else {
      travels_back_[unit] = 0;
    }
    gathered[unit] = v;
  });
  if (value != end) internal_error("an exchange's message is longer than its bitmask says");
}

int64_t ExchangeCodec::pack_gradients(const float* d_gathered, const Block& b, float* out) const {
  int64_t n = 0;
  for_each_unit(b, width_, [&](int64_t, int64_t unit) {
    if (travels_back_[unit]) out[n++] = d_gathered[unit];
  });
  return n;
}

void ExchangeCodec::unpack_gradients(const float* packed, const Block& b, float* block_d) const {
  for_each_unit(b, width_, [&](int64_t local, int64_t unit) { block_d[local] = travels_back_[unit] ? *packed++ : 0.f; });
}

}  // namespace alexnet
