#include "kernels/winograd.hpp"

#include <algorithm>
#include <cstring>

#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "tensor/vec.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

// Both algorithms interpolate at the points 0, 1, -1, 2, -2 and infinity: F(4x4, 3x3) and
// F(2x2, 5x5) read 6x6 input tiles and share the input transform B^T; G and A^T follow from
// the points and the kernel (Toom-Cook; Lavin & Gray list F(4x4, 3x3)'s).
constexpr int kAlpha = 6;  // input tile side: output tile + kernel - 1
constexpr int kPoints = kAlpha * kAlpha;
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

// B^T applied to six values: out[i] = sum_j B^T[i][j] d[j].
template <int V>
inline void input_1d(const vec<V>* d, int step, vec<V>* out, int out_step) {
  const vec<V> d0 = d[0], d1 = d[step], d2 = d[2 * step], d3 = d[3 * step], d4 = d[4 * step],
               d5 = d[5 * step];
  out[0] = 4 * d0 - 5 * d2 + d4;
  out[out_step] = -4 * (d1 + d2) + d3 + d4;
  out[2 * out_step] = 4 * (d1 - d2) - d3 + d4;
  out[3 * out_step] = 2 * (d3 - d1) - d2 + d4;
  out[4 * out_step] = 2 * (d1 - d3) - d2 + d4;
  out[5 * out_step] = 4 * d1 - 5 * d3 + d5;
}

// A^T applied to six values: `M` outputs, row i being (p^i) over the points, plus infinity's
// 1 in the last row.
template <int V, int M>
inline void output_1d(const vec<V>* m, int step, vec<V>* out, int out_step) {
  const vec<V> a = m[step] + m[2 * step], b = m[step] - m[2 * step];
  const vec<V> c = m[3 * step] + m[4 * step], e = m[3 * step] - m[4 * step];
  if constexpr (M == 4) {
    out[0] = m[0] + a + c;
    out[out_step] = b + 2 * e;
    out[2 * out_step] = a + 4 * c;
    out[3 * out_step] = b + 8 * e + m[5 * step];
  } else {
    static_assert(M == 2);
    out[0] = m[0] + a + c;
    out[out_step] = b + 2 * e + m[5 * step];
  }
}

// One tile of one channel block: gathers the 6x6 patch (zeros outside the image), applies
// B^T . B, and stores the 36 values `point_stride` apart (v[tile][point][channel]).
template <int V>
void input_tile(const float* plane, int64_t h, int64_t w, int64_t ih0, int64_t iw0, float* out,
                int64_t point_stride) {
  vec<V> d[kAlpha][kAlpha], t[kAlpha][kAlpha], r[kAlpha];
  // The part of the patch inside the image; the rest is the convolution's zero padding.
  const int i0 = static_cast<int>(std::max<int64_t>(0, -ih0));
  const int j0 = static_cast<int>(std::max<int64_t>(0, -iw0));
  const int i1 = static_cast<int>(std::min<int64_t>(kAlpha, h - ih0));
  const int j1 = static_cast<int>(std::min<int64_t>(kAlpha, w - iw0));
  if (i0 > 0 || j0 > 0 || i1 < kAlpha || j1 < kAlpha)
    for (int i = 0; i < kAlpha; ++i)
      for (int j = 0; j < kAlpha; ++j) d[i][j] = vec<V>{};
  for (int i = i0; i < i1; ++i) {
    const float* row = plane + ((ih0 + i) * w + iw0) * V;
    for (int j = j0; j < j1; ++j) d[i][j] = load<V>(row + j * V);
  }
  // Columns: t = B^T d; then each row of t times B.
  for (int j = 0; j < kAlpha; ++j) input_1d<V>(&d[0][j], kAlpha, &t[0][j], kAlpha);
  for (int i = 0; i < kAlpha; ++i) {
    input_1d<V>(t[i], 1, r, 1);
    for (int j = 0; j < kAlpha; ++j) store<V>(out + (i * kAlpha + j) * point_stride, r[j]);
  }
}

template <int V, int M>
void output_tile(const float* m, int64_t point_stride, const float* bias, bool relu, float* plane,
                 int64_t oh, int64_t ow, int64_t oh0, int64_t ow0) {
  vec<V> p[kAlpha][kAlpha], t[M][kAlpha], r[M];
  for (int k = 0; k < kPoints; ++k) p[k / kAlpha][k % kAlpha] = load<V>(m + k * point_stride);
  for (int j = 0; j < kAlpha; ++j) output_1d<V, M>(&p[0][j], kAlpha, &t[0][j], kAlpha);
  const vec<V> b = load<V>(bias), zero{};
  for (int i = 0; i < M && oh0 + i < oh; ++i) {
    output_1d<V, M>(t[i], 1, r, 1);
    for (int j = 0; j < M && ow0 + j < ow; ++j) {
      vec<V> y = r[j] + b;
      if (relu) y = y > zero ? y : zero;
      store<V>(plane + ((oh0 + i) * ow + ow0 + j) * V, y);
    }
  }
}

// A applied to `M` values (the transpose of output_1d): the gradient of the 6 points from the
// gradient of the M outputs.
template <int V, int M>
inline void output_grad_1d(const vec<V>* y, int step, vec<V>* out, int out_step) {
  if constexpr (M == 4) {
    const vec<V> y0 = y[0], y1 = y[step], y2 = y[2 * step], y3 = y[3 * step];
    const vec<V> even = y0 + y2, odd = y1 + y3, even4 = y0 + 4 * y2, odd4 = 2 * y1 + 8 * y3;
    out[0] = y0;
    out[out_step] = even + odd;
    out[2 * out_step] = even - odd;
    out[3 * out_step] = even4 + odd4;
    out[4 * out_step] = even4 - odd4;
    out[5 * out_step] = y3;
  } else {
    static_assert(M == 2);
    const vec<V> y0 = y[0], y1 = y[step];
    out[0] = y0;
    out[out_step] = y0 + y1;
    out[2 * out_step] = y0 - y1;
    out[3 * out_step] = y0 + 2 * y1;
    out[4 * out_step] = y0 - 2 * y1;
    out[5 * out_step] = y1;
  }
}

// One output tile's gradient (zeros past the map's edge) to its 36 points, stored
// `point_stride` apart like the input transform's.
template <int V, int M>
void output_grad_tile(const float* plane, int64_t oh, int64_t ow, int64_t oh0, int64_t ow0, float* out,
                      int64_t point_stride) {
  vec<V> y[M][M], t[kAlpha][M], r[kAlpha];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < M; ++j)
      y[i][j] = oh0 + i < oh && ow0 + j < ow ? load<V>(plane + ((oh0 + i) * ow + ow0 + j) * V) : vec<V>{};
  for (int j = 0; j < M; ++j) output_grad_1d<V, M>(&y[0][j], M, &t[0][j], M);
  for (int i = 0; i < kAlpha; ++i) {
    output_grad_1d<V, M>(t[i], 1, r, 1);
    for (int j = 0; j < kAlpha; ++j) store<V>(out + (i * kAlpha + j) * point_stride, r[j]);
  }
}


}  // namespace

bool Winograd::supports(const WinogradShape& s, int block) {
  if (block != 8 && block != 16) return false;
  if (s.kernel != 3 && s.kernel != 5) return false;
  if (s.pad < 0 || s.pad >= s.kernel || s.groups < 1 || s.in % s.groups || s.out % s.groups) return false;
  return (s.in / s.groups) % block == 0 && (s.out / s.groups) % block == 0 &&
         s.height + 2 * s.pad >= s.kernel && s.width + 2 * s.pad >= s.kernel;
}

Winograd::Winograd(const WinogradShape& s, int block) : s_(s), block_(block) {
  if (!supports(s, block)) internal_error("Winograd: a shape it does not support");
  tile_ = kAlpha - s.kernel + 1;
  oh_ = s.height + 2 * s.pad - s.kernel + 1;
  ow_ = s.width + 2 * s.pad - s.kernel + 1;
  tiles_h_ = (oh_ + tile_ - 1) / tile_;
  tiles_w_ = (ow_ + tile_ - 1) / tile_;
  u_ = huge_buffer<float>(u_size());
  bias_.resize(s.out);
}

size_t Winograd::u_size() const { return static_cast<size_t>(kPoints) * (s_.in / s_.groups) * s_.out; }

void Winograd::prepare(int64_t batch) {
  const int64_t total = batch * tiles_h_ * tiles_w_, full = std::min(kChunkTiles, total), rest = total % full;
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
  return "winograd_" + std::to_string(tile_) + "x" + std::to_string(s_.kernel) + ":" + cpu_isa_name() +
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

void Winograd::input_transform(const float* src, int64_t first, int64_t tiles, float* v) const {
  const int64_t blocks = s_.in / block_;
  const int64_t point_stride = s_.in;
  const int64_t plane_size = s_.height * s_.width * block_;
  // One tile's 36 points for all channels are written side by side: whole cache lines.
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tiles; ++t) {
    const auto [n, th, tw] = tile_at(first + t);
    const int64_t ih0 = th * tile_ - s_.pad, iw0 = tw * tile_ - s_.pad;
    for (int64_t cb = 0; cb < blocks; ++cb) {
      const float* plane = src + (n * blocks + cb) * plane_size;
      float* out = v + t * kPoints * s_.in + cb * block_;
      if (block_ == 8)
        input_tile<8>(plane, s_.height, s_.width, ih0, iw0, out, point_stride);
      else
        input_tile<16>(plane, s_.height, s_.width, ih0, iw0, out, point_stride);
    }
  }
}

void Winograd::output_transform(const float* m, int64_t first, int64_t tiles, float* dst) const {
  const int64_t blocks = s_.out / block_;
  const int64_t point_stride = s_.out;
  const int64_t plane_size = oh_ * ow_ * block_;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tiles; ++t) {
    const auto [n, th, tw] = tile_at(first + t);
    for (int64_t kb = 0; kb < blocks; ++kb) {
      float* plane = dst + (n * blocks + kb) * plane_size;
      const int64_t k = kb * block_;
      const float* in = m + t * kPoints * s_.out + k;
      const float* bias = bias_.data() + k;
      const int64_t oh0 = th * tile_, ow0 = tw * tile_;
      if (block_ == 8 && tile_ == 4)
        output_tile<8, 4>(in, point_stride, bias, s_.relu, plane, oh_, ow_, oh0, ow0);
      else if (block_ == 8)
        output_tile<8, 2>(in, point_stride, bias, s_.relu, plane, oh_, ow_, oh0, ow0);
      else if (tile_ == 4)
        output_tile<16, 4>(in, point_stride, bias, s_.relu, plane, oh_, ow_, oh0, ow0);
      else
        output_tile<16, 2>(in, point_stride, bias, s_.relu, plane, oh_, ow_, oh0, ow0);
    }
  }
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
  const int64_t total = batch * tiles_h_ * tiles_w_;
  auto [v, m] = chunk_scratch();
  auto& st = cpu_stream();
  for (int64_t first = 0; first < total; first += kChunkTiles) {
    const int64_t tiles = std::min(kChunkTiles, total - first);
    input_transform(src, first, tiles, v);
    const Product& p = product(tiles);
    dnnl::memory vm(p.src, cpu_engine(), v), um(p.weights, cpu_engine(), u_.get()),
        mm(p.dst, cpu_engine(), m);
    p.matmul.execute(st, {{DNNL_ARG_SRC, vm}, {DNNL_ARG_WEIGHTS, um}, {DNNL_ARG_DST, mm}});
    st.wait();
    output_transform(m, first, tiles, dst);
  }
}

void Winograd::output_grad_transform(const float* d_dst, int64_t first, int64_t tiles, float* m) const {
  const int64_t blocks = s_.out / block_;
  const int64_t plane_size = oh_ * ow_ * block_;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tiles; ++t) {
    const auto [n, th, tw] = tile_at(first + t);
    const int64_t oh0 = th * tile_, ow0 = tw * tile_;
    for (int64_t kb = 0; kb < blocks; ++kb) {
      const float* plane = d_dst + (n * blocks + kb) * plane_size;
      float* out = m + t * kPoints * s_.out + kb * block_;
      if (block_ == 8 && tile_ == 4)
        output_grad_tile<8, 4>(plane, oh_, ow_, oh0, ow0, out, s_.out);
      else if (block_ == 8)
        output_grad_tile<8, 2>(plane, oh_, ow_, oh0, ow0, out, s_.out);
      else if (tile_ == 4)
        output_grad_tile<16, 4>(plane, oh_, ow_, oh0, ow0, out, s_.out);
      else
        output_grad_tile<16, 2>(plane, oh_, ow_, oh0, ow0, out, s_.out);
    }
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

// d_bias[k] = the sum of the output's gradient over images and positions: each image's sum in
// float vectors, the images' sums in double.
void Winograd::bias_grad(const float* d_dst, int64_t batch, float* d_bias) const {
  const int64_t blocks = s_.out / block_, plane = oh_ * ow_;
#pragma omp parallel for schedule(static)
  for (int64_t kb = 0; kb < blocks; ++kb) {
    double total[16] = {};  // block_ <= 16
    for (int64_t n = 0; n < batch; ++n) {
      const float* x = d_dst + (n * blocks + kb) * plane * block_;
      float sum[16] = {};
      for (int64_t i = 0; i < plane; ++i)
        for (int c = 0; c < block_; ++c) sum[c] += x[i * block_ + c];
      for (int c = 0; c < block_; ++c) total[c] += sum[c];
    }
    for (int c = 0; c < block_; ++c) d_bias[kb * block_ + c] = static_cast<float>(total[c]);
  }
}

void Winograd::backward_weights(const float* src, const float* d_dst, int64_t batch, float* d_oihw,
                                float* d_bias) {
  const int64_t total = batch * tiles_h_ * tiles_w_;
  auto [v, m] = chunk_scratch();
  if (!du_) du_ = huge_buffer<float>(u_size());
  auto& st = cpu_stream();
  for (int64_t first = 0; first < total; first += kChunkTiles) {
    const int64_t tiles = std::min(kChunkTiles, total - first);
    input_transform(src, first, tiles, v);
    output_grad_transform(d_dst, first, tiles, m);
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
  bias_grad(d_dst, batch, d_bias);
}

}  // namespace alexnet
