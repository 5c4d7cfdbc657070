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
    : Layer(std::move(name)), comm_(comm()), split_(std::move(split)) {}

bool Exchange::train_setup(Mode mode, const char* impl) {
  train_ = mode == Mode::train;
  impl_ = train_ ? impl : "pass";
  return train_;
}

void Exchange::pass_on(const Tensor& in, const Tensor& out) {
  if (in.data() != out.data()) std::memcpy(out.data(), in.data(), sizeof(float) * in.size());
}

// ---- ShareBatch ----

md ShareBatch::setup(const md& in, Mode mode, bool) {
  if (!train_setup(mode, "allgather / reduce-scatter")) return in;
  const ModelSplit& s = split();
  const int64_t features = in.dims()[1];
  expect_plain_rows(name(), in, s.rows.at(s.rank), -1);
  counts_.clear();
  for (int64_t r : s.rows) counts_.push_back(r * features);
  return plain_md({s.global_rows(), features});
}

void ShareBatch::forward(const Tensor& in, const Tensor& out) {
  if (!train_) return pass_on(in, out);
  comm_.allgather(in.data(), out.data(), counts_);
}

void ShareBatch::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  // Every rank's fc6 slice gave a part of each row's gradient: summed, each keeps its rows.
  if (!d_in.empty()) comm_.reduce_scatter_sum(d_out.data(), d_in.data(), counts_);
}

// ---- GatherNeurons ----

GatherNeurons::GatherNeurons(std::string name, std::shared_ptr<const ModelSplit> split, int64_t neurons)
    : Exchange(std::move(name), std::move(split)), neurons_(neurons) {}

md GatherNeurons::setup(const md& in, Mode mode, bool) {
  if (!train_setup(mode, "allgather / reduce-scatter")) return in;
  const ModelSplit& s = split();
  rows_ = in.dims()[0];
  expect_plain_rows(name(), in, -1, s.share(neurons_, s.rank));
  widths_ = widths_of(s, neurons_);
  counts_.clear();
  for (int64_t w : widths_) counts_.push_back(rows_ * w);
  blocks_.assign(static_cast<size_t>(rows_ * neurons_), 0.f);
  return plain_md({rows_, neurons_});
}

void GatherNeurons::forward(const Tensor& in, const Tensor& out) {
  if (!train_) return pass_on(in, out);
  comm_.allgather(in.data(), blocks_.data(), counts_);
  blocks_to_columns(blocks_.data(), out.data(), rows_, widths_);
}

void GatherNeurons::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  // d_out holds this rank's part of the gradient of every neuron (through its slice of the
  // next layer): summed over the ranks, each keeps its own neurons'.
  columns_to_blocks(d_out.data(), blocks_.data(), rows_, widths_);
  comm_.reduce_scatter_sum(blocks_.data(), d_in.data(), counts_);
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
