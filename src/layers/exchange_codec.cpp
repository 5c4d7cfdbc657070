#include "layers/exchange_codec.hpp"

#include <cstring>

#include "layers/dropout.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {
int64_t words_for(int64_t bits) { return (bits + 31) / 32; }
// Running totals: out[i] = sum of counts[0..i), out[n] = the whole.
std::vector<int64_t> running(const std::vector<int64_t>& counts) {
  std::vector<int64_t> out(counts.size() + 1, 0);
  for (size_t i = 0; i < counts.size(); ++i) out[i + 1] = out[i] + counts[i];
  return out;
}
}  // namespace

void ExchangeCodec::setup(int64_t rows, int64_t width, const Dropout* next, bool relu_output) {
  width_ = width;
  next_ = next;
  relu_output_ = relu_output;
  kept_.assign(static_cast<size_t>(rows * width), 1);
  travels_back_.assign(static_cast<size_t>(rows * width), 0);
}

void ExchangeCodec::start_forward() {
  const int64_t n = static_cast<int64_t>(kept_.size());
  const bool drops = next_ && next_->drops();
  uint8_t* k = kept_.data();
#pragma omp parallel for schedule(static)
  for (int64_t u = 0; u < n; ++u) k[u] = !drops || next_->keeps(u);
}

std::vector<int64_t> ExchangeCodec::row_offsets(const std::vector<uint8_t>& marks, const Block& b) const {
  std::vector<int64_t> counts(static_cast<size_t>(b.rows));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    const uint8_t* m = marks.data() + (b.row + i) * width_ + b.col;
    int64_t c = 0;
    for (int64_t j = 0; j < b.cols; ++j) c += m[j];
    counts[i] = c;
  }
  return counts;
}

std::vector<float> ExchangeCodec::pack_values(const float* block_values, const Block& b) const {
  const std::vector<int64_t> kept = row_offsets(kept_, b);
  std::vector<int64_t> words(kept.size()), nonzero(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) words[i] = words_for(kept[i]);
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    const uint8_t* k = kept_.data() + (b.row + i) * width_ + b.col;
    const float* x = block_values + i * b.cols;
    int64_t c = 0;
    for (int64_t j = 0; j < b.cols; ++j) c += k[j] && x[j] != 0.f;
    nonzero[i] = c;
  }
  const std::vector<int64_t> word_at = running(words), value_at = running(nonzero);
  std::vector<float> message(static_cast<size_t>(word_at.back() + value_at.back()));
  float* values = message.data() + word_at.back();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    const uint8_t* k = kept_.data() + (b.row + i) * width_ + b.col;
    const float* x = block_values + i * b.cols;
    std::vector<uint32_t> bits(static_cast<size_t>(words[i]), 0);
    float* v = values + value_at[i];
    for (int64_t j = 0, n = 0; j < b.cols; ++j) {
      if (!k[j]) continue;
      if (x[j] != 0.f) bits[n / 32] |= 1u << (n % 32), *v++ = x[j];
      ++n;
    }
    std::memcpy(message.data() + word_at[i], bits.data(), sizeof(uint32_t) * bits.size());  // bits, not numbers
  }
  return message;
}

void ExchangeCodec::unpack_values(const float* message, int64_t message_size, const Block& b, float* gathered) {
  const std::vector<int64_t> kept = row_offsets(kept_, b);
  std::vector<int64_t> words(kept.size()), nonzero(kept.size());
  for (size_t i = 0; i < kept.size(); ++i) words[i] = words_for(kept[i]);
  const std::vector<int64_t> word_at = running(words);
  if (message_size < word_at.back()) internal_error("an exchange's message is shorter than its bitmask");
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    int64_t c = 0;
    for (int64_t w = 0; w < words[i]; ++w) {
      uint32_t bits;
      std::memcpy(&bits, message + word_at[i] + w, sizeof bits);
      c += __builtin_popcount(bits);
    }
    nonzero[i] = c;
  }
  const std::vector<int64_t> value_at = running(nonzero);
  if (message_size != word_at.back() + value_at.back())
    internal_error("an exchange's message is not as long as its bitmask says");
  const float* values = message + word_at.back();
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    const int64_t at = (b.row + i) * width_ + b.col;
    const uint8_t* k = kept_.data() + at;
    uint8_t* back = travels_back_.data() + at;
    float* out = gathered + at;
    const float* v = values + value_at[i];
    uint32_t bits = 0;
    for (int64_t j = 0, n = 0; j < b.cols; ++j) {
      float x = 0.f;
      if (k[j]) {
        if (n % 32 == 0) std::memcpy(&bits, message + word_at[i] + n / 32, sizeof bits);
        if (bits >> (n % 32) & 1u) x = *v++;
        ++n;
      }
      back[j] = k[j] && (!relu_output_ || x != 0.f);
      out[j] = x;
    }
  }
}

int64_t ExchangeCodec::pack_gradients(const float* d_gathered, const Block& b, float* out) const {
  const std::vector<int64_t> at = running(row_offsets(travels_back_, b));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    const int64_t u = (b.row + i) * width_ + b.col;
    float* o = out + at[i];
    for (int64_t j = 0; j < b.cols; ++j)
      if (travels_back_[u + j]) *o++ = d_gathered[u + j];
  }
  return at.back();
}

void ExchangeCodec::unpack_gradients(const float* packed, const Block& b, float* block_d) const {
  const std::vector<int64_t> at = running(row_offsets(travels_back_, b));
#pragma omp parallel for schedule(static)
  for (int64_t i = 0; i < b.rows; ++i) {
    const int64_t u = (b.row + i) * width_ + b.col;
    const float* p = packed + at[i];
    for (int64_t j = 0; j < b.cols; ++j) block_d[i * b.cols + j] = travels_back_[u + j] ? *p++ : 0.f;
  }
}

}  // namespace alexnet
