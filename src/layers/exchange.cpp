#include "layers/exchange.hpp"

#include <algorithm>
#include <cstring>

#include "parallel/comm.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {
void expect_plain_rows(const std::string& layer, const md& in, int64_t rows, int64_t cols) {
  const dims d = in.dims();
  if (d.size() != 2 || in != plain_md(d) || (rows >= 0 && d[0] != rows) || (cols >= 0 && d[1] != cols))
    internal_error(layer + ": expected a plain [" + std::to_string(rows) + ", " + std::to_string(cols) + "] input, got " +
                   shape_str(d));
}
// [rows, width_0] [rows, width_1] ... one block per rank  <->  [rows, sum of widths]
std::vector<int64_t> widths_of(const ModelSplit& s, int64_t count) {
  std::vector<int64_t> w;
  for (int k = 0; k < s.ranks; ++k) w.push_back(s.share(count, k));
  return w;
}
void blocks_to_columns(const float* blocks, float* out, int64_t rows, const std::vector<int64_t>& widths) {
  int64_t cols = 0;
  for (int64_t w : widths) cols += w;
  const float* block = blocks;
  int64_t col = 0;
  for (int64_t w : widths) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) std::memcpy(out + i * cols + col, block + i * w, sizeof(float) * w);
    block += rows * w, col += w;
  }
}
void columns_to_blocks(const float* in, float* blocks, int64_t rows, const std::vector<int64_t>& widths) {
  int64_t cols = 0;
  for (int64_t w : widths) cols += w;
  float* block = blocks;
  int64_t col = 0;
  for (int64_t w : widths) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < rows; ++i) std::memcpy(block + i * w, in + i * cols + col, sizeof(float) * w);
    block += rows * w, col += w;
  }
}
}  // namespace

int64_t ModelSplit::global_rows() const {
  int64_t n = 0;
  for (int64_t r : rows) n += r;
  return n;
}

// ---- Exchange ----

Exchange::Exchange(std::string name, std::shared_ptr<const ModelSplit> split)
    : Layer(std::move(name)), comm_(*split->comm), split_(std::move(split)) {}

bool Exchange::train_setup(Mode mode, const char* impl) {
  train_ = mode == Mode::train;
  impl_ = train_ ? impl : "pass";
  return train_;
}

void Exchange::pass_on(const Tensor& in, const Tensor& out) {
  if (in.data() != out.data()) std::memcpy(out.data(), in.data(), sizeof(float) * in.size());
}

// ---- GatherBlocks ----

GatherBlocks::GatherBlocks(std::string name, std::shared_ptr<const ModelSplit> split, bool relu_output)
    : Exchange(std::move(name), std::move(split)), relu_output_(relu_output) {}

void GatherBlocks::setup_blocks(int64_t rows, int64_t width, std::vector<Block> blocks) {
  blocks_ = std::move(blocks);
  codec_.setup(rows, width, next_, relu_output_);
  packed_.assign(static_cast<size_t>(rows * width), 0.f);
}

void GatherBlocks::forward(const Tensor& in, const Tensor& out) {
  if (!train_) return pass_on(in, out);
  codec_.start_forward();
  const std::vector<float> message = codec_.pack_values(in.data(), blocks_.at(split().rank));
  const std::vector<int64_t> sizes = comm_.allgather_count(static_cast<int64_t>(message.size()));
  int64_t all = 0;
  for (int64_t n : sizes) all += n;
  received_.resize(static_cast<size_t>(all));
  comm_.allgather(message.data(), received_.data(), sizes);
  const float* m = received_.data();
  for (size_t k = 0; k < blocks_.size(); m += sizes[k], ++k) codec_.unpack_values(m, sizes[k], blocks_[k], out.data());
}

void GatherBlocks::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  // d_out holds this rank's part of the gradient of every unit (through its slice of the next
  // layer): summed over the ranks, each keeps its own block's.
  if (d_in.empty()) return;
  std::vector<int64_t> counts;
  float* p = packed_.data();
  for (const Block& b : blocks_) {
    counts.push_back(codec_.pack_gradients(d_out.data(), b, p));
    p += counts.back();
  }
  mine_.resize(static_cast<size_t>(counts.at(split().rank)));
  comm_.reduce_scatter_sum(packed_.data(), mine_.data(), counts);
  codec_.unpack_gradients(mine_.data(), blocks_[split().rank], d_in.data());
}

// ---- ShareBatch ----

md ShareBatch::setup(const md& in, Mode mode, bool) {
  if (!train_setup(mode, "allgather / reduce-scatter")) return in;
  const ModelSplit& s = split();
  const int64_t features = in.dims()[1];
  expect_plain_rows(name(), in, s.rows.at(s.rank), -1);
  std::vector<Block> blocks;
  int64_t row = 0;
  for (int64_t r : s.rows) blocks.push_back({row, r, 0, features}), row += r;
  setup_blocks(row, features, std::move(blocks));
  return plain_md({row, features});
}

// ---- GatherNeurons ----

GatherNeurons::GatherNeurons(std::string name, std::shared_ptr<const ModelSplit> split, int64_t neurons,
                             bool relu_output)
    : GatherBlocks(std::move(name), std::move(split), relu_output), neurons_(neurons) {}

md GatherNeurons::setup(const md& in, Mode mode, bool) {
  if (!train_setup(mode, "allgather / reduce-scatter")) return in;
  const ModelSplit& s = split();
  const int64_t rows = in.dims()[0];
  expect_plain_rows(name(), in, -1, s.share(neurons_, s.rank));
  std::vector<Block> blocks;
  for (int k = 0; k < s.ranks; ++k) blocks.push_back({0, rows, s.begin(neurons_, k), s.share(neurons_, k)});
  setup_blocks(rows, neurons_, std::move(blocks));
  return plain_md({rows, neurons_});
}

// ---- ReturnBatch ----

ReturnBatch::ReturnBatch(std::string name, std::shared_ptr<const ModelSplit> split, int64_t classes)
    : Exchange(std::move(name), std::move(split)), classes_(classes) {}

md ReturnBatch::setup(const md& in, Mode mode, bool) {
  if (!train_setup(mode, "all-to-all")) return in;
  const ModelSplit& s = split();
  const int64_t mine = s.share(classes_, s.rank), n = s.rows.at(s.rank);
  expect_plain_rows(name(), in, s.global_rows(), mine);
  widths_ = widths_of(s, classes_);
  sent_.clear(), received_.clear();
  for (int k = 0; k < s.ranks; ++k) {
    sent_.push_back(s.rows[k] * mine);     // rank k's rows, my classes
    received_.push_back(n * widths_[k]);  // my rows, rank k's classes
  }
  blocks_.assign(static_cast<size_t>(n * classes_), 0.f);
  return plain_md({n, classes_});
}

void ReturnBatch::forward(const Tensor& in, const Tensor& out) {
  if (!train_) return pass_on(in, out);
  // The global batch's rows lie rank by rank, so what goes to each rank is contiguous.
  comm_.alltoall(in.data(), sent_, blocks_.data(), received_);
  blocks_to_columns(blocks_.data(), out.data(), out.shape()[0], widths_);
}

void ReturnBatch::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  columns_to_blocks(d_out.data(), blocks_.data(), d_out.shape()[0], widths_);
  comm_.alltoall(blocks_.data(), received_, d_in.data(), sent_);
}

}  // namespace alexnet
