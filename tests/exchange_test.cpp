// What hybrid parallelism's exchanges send (layers/exchange_codec.hpp), without MPI: two ranks'
// blocks of a gathered activation packed and unpacked here, by rows (the conv features) and by
// columns (an fc layer's neurons). Forward, every rank must rebuild exactly the activation as
// the next dropout sees it; backward, exactly the gradients that matter must arrive, summed.
// (Mpi.HybridRanksMatchOneProcess checks the whole over real ranks.)
#include <gtest/gtest.h>

#include <cmath>

#include "layers/dropout.hpp"
#include "layers/exchange_codec.hpp"
#include "test_util.hpp"

namespace alexnet {
namespace {

constexpr int64_t kRows = 6, kWidth = 100;  // rows of more than 32 kept units: bitmasks of several words

// A ReLU's output: about half zeros.
std::vector<float> relu_like(int seed) {
  std::vector<float> v(kRows * kWidth);
  for (size_t i = 0; i < v.size(); ++i) v[i] = std::max(0.f, std::sin(0.7f * static_cast<float>(i) + seed));
  return v;
}

std::vector<float> block_of(const std::vector<float>& all, const Block& b) {
  std::vector<float> out;
  for (int64_t i = 0; i < b.rows; ++i)
    for (int64_t j = 0; j < b.cols; ++j) out.push_back(all[(b.row + i) * kWidth + b.col + j]);
  return out;
}

// Two ranks' blocks through the codec, forward then backward; checks every unit.
void check_round_trip(const std::vector<Block>& blocks, Dropout* next, bool relu_output) {
  ExchangeCodec codec;
  codec.setup(kRows, kWidth, next, relu_output);
  const std::vector<float> x = relu_like(3);
  auto kept = [&](int64_t u) { return !next || !next->drops() || next->keeps(u); };

  std::vector<float> gathered(x.size(), -1.f);
  codec.start_forward();
  for (const Block& b : blocks) {
    const std::vector<float> message = codec.pack_values(block_of(x, b).data(), b);
    int64_t words = 0, nonzero = 0;
    for (int64_t i = 0; i < b.rows; ++i) {
      int64_t units = 0;
      for (int64_t j = 0; j < b.cols; ++j) {
        const int64_t u = (b.row + i) * kWidth + b.col + j;
        units += kept(u), nonzero += kept(u) && x[u] != 0.f;
      }
      words += (units + 31) / 32;
    }
    EXPECT_EQ(static_cast<int64_t>(message.size()), words + nonzero);  // each row's bitmask + nonzeros
    codec.unpack_values(message.data(), static_cast<int64_t>(message.size()), b, gathered.data());
  }
  for (size_t u = 0; u < x.size(); ++u) ASSERT_EQ(gathered[u], kept(u) ? x[u] : 0.f) << u;

  // Backward: each rank's partial gradient of every unit; each block's sum arrives where it matters.
  std::vector<float> d0(x.size()), d1(x.size());
  for (size_t u = 0; u < x.size(); ++u) d0[u] = 0.25f + u, d1[u] = 1000.f + 2 * u;
  for (const Block& b : blocks) {
    std::vector<float> p0(x.size()), p1(x.size());
    const int64_t n0 = codec.pack_gradients(d0.data(), b, p0.data()), n1 = codec.pack_gradients(d1.data(), b, p1.data());
    ASSERT_EQ(n0, n1);
    for (int64_t i = 0; i < n0; ++i) p0[i] += p1[i];  // what the reduce-scatter sums
    std::vector<float> got(b.size(), -1.f);
    codec.unpack_gradients(p0.data(), b, got.data());
    int64_t travelled = 0;
    for (int64_t i = 0; i < b.rows; ++i)
      for (int64_t j = 0; j < b.cols; ++j) {
        const int64_t u = (b.row + i) * kWidth + b.col + j;
        const bool matters = kept(u) && (!relu_output || x[u] != 0.f);
        travelled += matters;
        ASSERT_EQ(got[i * b.cols + j], matters ? d0[u] + d1[u] : 0.f) << u;
      }
    EXPECT_EQ(n0, travelled);
  }
}

Dropout* train_dropout(Dropout& d, uint64_t key) {
  d.setup(plain_md({kRows, kWidth}), Mode::train, true);
  d.set_rng_key(key, 0);
  return &d;
}

const std::vector<Block> kByRows = {{0, 2, 0, kWidth}, {2, 4, 0, kWidth}};     // the features
const std::vector<Block> kByColumns = {{0, kRows, 0, 37}, {0, kRows, 37, 63}};  // an fc layer's neurons

TEST(ExchangeCodec, RowBlocksBeforeDropoutSendOnlyKeptNonzeros) {
  Dropout d("drop", 0.5f);
  check_round_trip(kByRows, train_dropout(d, 11), true);
}

TEST(ExchangeCodec, ColumnBlocksBeforeDropoutSendOnlyKeptNonzeros) {
  Dropout d("drop", 0.5f);
  check_round_trip(kByColumns, train_dropout(d, 12), true);
}

TEST(ExchangeCodec, WithoutDropoutEveryNonzeroTravels) {
  check_round_trip(kByColumns, nullptr, true);
  Dropout off("drop", 0.5f);
  off.setup(plain_md({kRows, kWidth}), Mode::eval, true);  // dropout that drops nothing
  check_round_trip(kByRows, &off, true);
}

TEST(ExchangeCodec, GradientsOfZerosTravelWhenTheyMatter) {
  Dropout d("drop", 0.5f);
  check_round_trip(kByColumns, train_dropout(d, 13), false);  // not a ReLU's output
}

// The exchange skips exactly the units the dropout zeroes.
TEST(ExchangeCodec, DropoutKeepsWhatItsMaskKeeps) {
  Dropout d("drop", 0.5f);
  train_dropout(d, 14);
  Tensor in = Tensor::plain({kRows, kWidth}), out = Tensor::plain({kRows, kWidth});
  std::fill(in.data(), in.data() + in.size(), 1.f);
  d.forward(in, out);
  for (int64_t u = 0; u < in.size(); ++u) ASSERT_EQ(out.data()[u] != 0.f, d.keeps(u)) << u;
}

}  // namespace
}  // namespace alexnet
