#include "kernels/winograd.hpp"

#include <algorithm>
#include <cstring>

#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

// Both algorithms interpolate at the points 0, 1, -1, 2, -2 and infinity: F(4x4, 3x3) and
// F(2x2, 5x5) read 6x6 input tiles and share the input transform B^T; G and A^T follow from
// the points and the kernel (Toom-Cook; Lavin & Gray list F(4x4, 3x3)'s).
constexpr int kAlpha = kWinogradAlpha;  // input tile side: output tile + kernel - 1
constexpr int kPoints = kWinogradPoints;
constexpr double kPoint[kAlpha - 1] = {0, 1, -1, 2, -2};
// Tiles per chunk: the transformed input and output of a chunk (tiles x 36 x channels) stay
// in the caches, and the batched products are still large enough to run near the peak.
// Chunks cut across images: torchvision's conv2 has 196 tiles an image, and whole-image
// chunks of 196 ran 9% slower under AVX2 (64-tile chunks: 3% slower than 128).
constexpr int64_t kChunkTiles = 128;

// G (6 x kernel): row j is (1, p, p^2, ...) / prod_{q != p} (p - q) for point p; the row of
// infinity picks the kernel's last tap.
std::vector<double> filter_matrix(int kernel) {
  std::vector<double> g(kAlpha * kernel, 0.0);
  for (int j = 0; j < kAlpha - 1; ++j) {
    double norm = 1;
    for (int q = 0; q < kAlpha - 1; ++q)
      if (q != j) norm *= kPoint[j] - kPoint[q];
    double power = 1;
    for (int k = 0; k < kernel; ++k, power *= kPoint[j]) g[j * kernel + k] = power / norm;
  }
  g[(kAlpha - 1) * kernel + kernel - 1] = 1;
  return g;
}

}  // namespace

bool Winograd::supports(const WinogradShape& s, int block) {
  if (block != 8 && block != 16) return false;
  if (s.kernel != 3 && s.kernel != 5) return false;
  if (s.pad < 0 || s.pad >= s.kernel || s.groups < 1 || s.in % s.groups || s.out % s.groups) return false;
  return (s.in / s.groups) % block == 0 && (s.out / s.groups) % block == 0 &&
         s.height + 2 * s.pad >= s.kernel && s.width + 2 * s.pad >= s.kernel;
}

Winograd::Winograd(const WinogradShape& s, int block, SimdLevel level)
    : s_(s), block_(block), simd_(simd_kernels(level)) {
  if (!supports(s, block)) internal_error("Winograd: a shape it does not support");
  g_.in = s.in, g_.out = s.out, g_.height = s.height, g_.width = s.width, g_.pad = s.pad;
  g_.block = block, g_.relu = s.relu;
  g_.tile = kAlpha - static_cast<int>(s.kernel) + 1;
  g_.oh = s.height + 2 * s.pad - s.kernel + 1;
  g_.ow = s.width + 2 * s.pad - s.kernel + 1;
  g_.tiles_h = (g_.oh + g_.tile - 1) / g_.tile;
  g_.tiles_w = (g_.ow + g_.tile - 1) / g_.tile;
  u_ = huge_buffer<float>(u_size());
  bias_.resize(s.out);
}

size_t Winograd::u_size() const { return static_cast<size_t>(kPoints) * (s_.in / s_.groups) * s_.out; }

void Winograd::prepare(int64_t batch) {
  const int64_t total = batch * g_.tiles_h * g_.tiles_w, full = std::min(kChunkTiles, total), rest = total % full;
  product(full);
  if (rest) product(rest);
}

// The 36 x groups products of a chunk: [tiles, in/groups] x [in/groups, out/groups] each, the
// tiles' rows tile-major in the scratch buffers ([tile][point][channel]).
const Winograd::Product& Winograd::product(int64_t tiles) {
  auto it = products_.find(tiles);
  if (it != products_.end()) return it->second;
  const int64_t b = kPoints * s_.groups, cg = s_.in / s_.groups, kg = s_.out / s_.groups;
  Product p;
  p.src = md({b, tiles, cg}, dt::f32, dims{cg, b * cg, 1});
  p.weights = md({b, cg, kg}, dt::f32, tag::abc);
  p.dst = md({b, tiles, kg}, dt::f32, dims{kg, b * kg, 1});
  dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(p.src, p.weights, p.dst), cpu_engine());
  matmul_impl_ = pd.impl_info_str();
  p.matmul = dnnl::matmul(pd);
  return products_.emplace(tiles, p).first->second;
}

std::string Winograd::impl() const {
  return "winograd_" + std::to_string(g_.tile) + "x" + std::to_string(s_.kernel) + ":" + simd_->level +
         " (matmul " + matmul_impl_ + ")";
}

void Winograd::set_weights(const float* oihw, const float* bias) {
  const int64_t cg = s_.in / s_.groups, kg = s_.out / s_.groups;
  const int r = static_cast<int>(s_.kernel);
  const std::vector<double> g = filter_matrix(r);
  // u[point][group][c][k] = (G w G^T)[point], computed in double: G's 1/6 and 1/24 are not
  // exact in float.
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < s_.out; ++o) {
    std::vector<double> gw(kAlpha * r);  // G w
    for (int64_t c = 0; c < cg; ++c) {
      const float* w = oihw + (o * cg + c) * r * r;
      for (int a = 0; a < kAlpha; ++a)
        for (int j = 0; j < r; ++j) {
          double sum = 0;
          for (int i = 0; i < r; ++i) sum += g[a * r + i] * w[i * r + j];
          gw[a * r + j] = sum;
        }
      for (int a = 0; a < kAlpha; ++a)
        for (int b = 0; b < kAlpha; ++b) {
          double val = 0;
          for (int j = 0; j < r; ++j) val += gw[a * r + j] * g[b * r + j];
          u_[(((a * kAlpha + b) * s_.groups + o / kg) * cg + c) * kg + o % kg] = static_cast<float>(val);
        }
    }
  }
  if (bias)
    std::copy(bias, bias + s_.out, bias_.begin());
  else
    std::fill(bias_.begin(), bias_.end(), 0.f);
}

// This thread's scratch for one chunk, shared by the layers: the transformed input (v) and
// the products or the output's transformed gradient (m), each [tile][point][channel].
std::pair<float*, float*> Winograd::chunk_scratch() const {
  static thread_local std::vector<float> v, m;
  v.resize(std::max<size_t>(v.size(), kPoints * kChunkTiles * s_.in));
  m.resize(std::max<size_t>(m.size(), kPoints * kChunkTiles * s_.out));
  return {v.data(), m.data()};
}

void Winograd::forward(const float* src, float* dst, int64_t batch) {
  const int64_t total = batch * g_.tiles_h * g_.tiles_w;
  auto [v, m] = chunk_scratch();
  auto& st = cpu_stream();
  for (int64_t first = 0; first < total; first += kChunkTiles) {
    const int64_t tiles = std::min(kChunkTiles, total - first);
    simd_->winograd_input(g_, src, first, tiles, v);
    const Product& p = product(tiles);
    dnnl::memory vm(p.src, cpu_engine(), v), um(p.weights, cpu_engine(), u_.get()),
        mm(p.dst, cpu_engine(), m);
    p.matmul.execute(st, {{DNNL_ARG_SRC, vm}, {DNNL_ARG_WEIGHTS, um}, {DNNL_ARG_DST, mm}});
    st.wait();
    simd_->winograd_output(g_, m, bias_.data(), first, tiles, dst);
  }
}

const Winograd::WeightProduct& Winograd::weight_product(int64_t tiles) {
  auto it = weight_products_.find(tiles);
  if (it != weight_products_.end()) return it->second;
  const int64_t b = kPoints * s_.groups, cg = s_.in / s_.groups, kg = s_.out / s_.groups;
  WeightProduct p;
  p.src = md({b, cg, tiles}, dt::f32, dims{cg, 1, b * cg});  // the chunk's V, transposed
  p.weights = md({b, tiles, kg}, dt::f32, dims{kg, b * kg, 1});
  p.dst = md({b, cg, kg}, dt::f32, tag::abc);
  dnnl::matmul::desc d(p.src, p.weights, p.dst);
  p.set = dnnl::matmul(dnnl::matmul::primitive_desc(d, cpu_engine()));
  dnnl::post_ops sum;
  sum.append_sum(1.f);
  dnnl::primitive_attr attr;
  attr.set_post_ops(sum);
  p.add = dnnl::matmul(dnnl::matmul::primitive_desc(d, attr, cpu_engine()));
  return weight_products_.emplace(tiles, p).first->second;
}

void Winograd::backward_weights(const float* src, const float* d_dst, int64_t batch, float* d_oihw,
                                float* d_bias) {
  const int64_t total = batch * g_.tiles_h * g_.tiles_w;
  auto [v, m] = chunk_scratch();
  if (!du_) du_ = huge_buffer<float>(u_size());
  auto& st = cpu_stream();
  for (int64_t first = 0; first < total; first += kChunkTiles) {
    const int64_t tiles = std::min(kChunkTiles, total - first);
    simd_->winograd_input(g_, src, first, tiles, v);
    simd_->winograd_output_grad(g_, d_dst, first, tiles, m);
    const WeightProduct& p = weight_product(tiles);
    dnnl::memory vm(p.src, cpu_engine(), v), mm(p.weights, cpu_engine(), m),
        dum(p.dst, cpu_engine(), du_.get());
    (first == 0 ? p.set : p.add).execute(st, {{DNNL_ARG_SRC, vm}, {DNNL_ARG_WEIGHTS, mm}, {DNNL_ARG_DST, dum}});
    st.wait();
  }
  // dW = G^T dU G for each filter, in double like the forward's filter transform.
  const int64_t cg = s_.in / s_.groups, kg = s_.out / s_.groups;
  const int r = static_cast<int>(s_.kernel);
  const std::vector<double> g = filter_matrix(r);
  const int64_t point_stride = s_.groups * cg * kg;
#pragma omp parallel for schedule(static)
  for (int64_t o = 0; o < s_.out; ++o) {
    std::vector<double> t(r * kAlpha);  // G^T dU
    for (int64_t c = 0; c < cg; ++c) {
      const float* du = du_.get() + ((o / kg) * cg + c) * kg + o % kg;
      for (int i = 0; i < r; ++i)
        for (int b = 0; b < kAlpha; ++b) {
          double sum = 0;
          for (int a = 0; a < kAlpha; ++a) sum += g[a * r + i] * du[(a * kAlpha + b) * point_stride];
          t[i * kAlpha + b] = sum;
        }
      float* dw = d_oihw + (o * cg + c) * r * r;
      for (int i = 0; i < r; ++i)
        for (int j = 0; j < r; ++j) {
          double sum = 0;
          for (int b = 0; b < kAlpha; ++b) sum += t[i * kAlpha + b] * g[b * r + j];
          dw[i * r + j] = static_cast<float>(sum);
        }
    }
  }
  simd_->winograd_bias_grad(g_, d_dst, batch, d_bias);
}

}  // namespace alexnet
