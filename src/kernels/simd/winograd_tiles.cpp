// Winograd's per-tile transforms (kernels/winograd.hpp): gather a tile, apply B^T . B, A^T . A
// or its transpose, on a vector of channels at a time. Compiled once per instruction-set level
// (simd/simd_kernels.hpp).
#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd/vec.hpp"

namespace alexnet::ALEXNET_SIMD_NS {

namespace {

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
  vec<V> d[kWinogradAlpha][kWinogradAlpha], t[kWinogradAlpha][kWinogradAlpha], r[kWinogradAlpha];
  // The part of the patch inside the image; the rest is the convolution's zero padding.
  const int i0 = ih0 < 0 ? static_cast<int>(-ih0) : 0;
  const int j0 = iw0 < 0 ? static_cast<int>(-iw0) : 0;
  const int i1 = h - ih0 < kWinogradAlpha ? static_cast<int>(h - ih0) : kWinogradAlpha;
  const int j1 = w - iw0 < kWinogradAlpha ? static_cast<int>(w - iw0) : kWinogradAlpha;
  if (i0 > 0 || j0 > 0 || i1 < kWinogradAlpha || j1 < kWinogradAlpha)
    for (int i = 0; i < kWinogradAlpha; ++i)
      for (int j = 0; j < kWinogradAlpha; ++j) d[i][j] = vec<V>{};
  for (int i = i0; i < i1; ++i) {
    const float* row = plane + ((ih0 + i) * w + iw0) * V;
    for (int j = j0; j < j1; ++j) d[i][j] = load<V>(row + j * V);
  }
  // Columns: t = B^T d; then each row of t times B.
  for (int j = 0; j < kWinogradAlpha; ++j) input_1d<V>(&d[0][j], kWinogradAlpha, &t[0][j], kWinogradAlpha);
  for (int i = 0; i < kWinogradAlpha; ++i) {
    input_1d<V>(t[i], 1, r, 1);
    for (int j = 0; j < kWinogradAlpha; ++j) store<V>(out + (i * kWinogradAlpha + j) * point_stride, r[j]);
  }
}

template <int V, int M>
void output_tile(const float* m, int64_t point_stride, const float* bias, bool relu, float* plane,
                 int64_t oh, int64_t ow, int64_t oh0, int64_t ow0) {
  vec<V> p[kWinogradAlpha][kWinogradAlpha], t[M][kWinogradAlpha], r[M];
  for (int k = 0; k < kWinogradPoints; ++k) p[k / kWinogradAlpha][k % kWinogradAlpha] = load<V>(m + k * point_stride);
  for (int j = 0; j < kWinogradAlpha; ++j) output_1d<V, M>(&p[0][j], kWinogradAlpha, &t[0][j], kWinogradAlpha);
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
  vec<V> y[M][M], t[kWinogradAlpha][M], r[kWinogradAlpha];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < M; ++j)
      y[i][j] = oh0 + i < oh && ow0 + j < ow ? load<V>(plane + ((oh0 + i) * ow + ow0 + j) * V) : vec<V>{};
  for (int j = 0; j < M; ++j) output_grad_1d<V, M>(&y[0][j], M, &t[0][j], M);
  for (int i = 0; i < kWinogradAlpha; ++i) {
    output_grad_1d<V, M>(t[i], 1, r, 1);
    for (int j = 0; j < kWinogradAlpha; ++j) store<V>(out + (i * kWinogradAlpha + j) * point_stride, r[j]);
  }
}

// The image, tile row and tile column of the batch's t-th tile (image by image, row-major).
struct TileAt {
  int64_t n, th, tw;
};
TileAt tile_at(const WinogradGeometry& g, int64_t t) {
  return {t / (g.tiles_h * g.tiles_w), t % (g.tiles_h * g.tiles_w) / g.tiles_w, t % g.tiles_w};
}

}  // namespace

void winograd_input(const WinogradGeometry& g, const float* src, int64_t first, int64_t tiles, float* v) {
  const int64_t blocks = g.in / g.block;
  const int64_t point_stride = g.in;
  const int64_t plane_size = g.height * g.width * g.block;
  // One tile's 36 points for all channels are written side by side: whole cache lines.
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tiles; ++t) {
    const auto [n, th, tw] = tile_at(g, first + t);
    const int64_t ih0 = th * g.tile - g.pad, iw0 = tw * g.tile - g.pad;
    for (int64_t cb = 0; cb < blocks; ++cb) {
      const float* plane = src + (n * blocks + cb) * plane_size;
      float* out = v + t * kWinogradPoints * g.in + cb * g.block;
      if (g.block == 8)
        input_tile<8>(plane, g.height, g.width, ih0, iw0, out, point_stride);
      else
        input_tile<16>(plane, g.height, g.width, ih0, iw0, out, point_stride);
    }
  }
}

void winograd_output(const WinogradGeometry& g, const float* m, const float* bias_all, int64_t first,
                     int64_t tiles, float* dst) {
  const int64_t blocks = g.out / g.block;
  const int64_t point_stride = g.out;
  const int64_t plane_size = g.oh * g.ow * g.block;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tiles; ++t) {
    const auto [n, th, tw] = tile_at(g, first + t);
    for (int64_t kb = 0; kb < blocks; ++kb) {
      float* plane = dst + (n * blocks + kb) * plane_size;
      const int64_t k = kb * g.block;
      const float* in = m + t * kWinogradPoints * g.out + k;
      const float* bias = bias_all + k;
      const int64_t oh0 = th * g.tile, ow0 = tw * g.tile;
      if (g.block == 8 && g.tile == 4)
        output_tile<8, 4>(in, point_stride, bias, g.relu, plane, g.oh, g.ow, oh0, ow0);
      else if (g.block == 8)
        output_tile<8, 2>(in, point_stride, bias, g.relu, plane, g.oh, g.ow, oh0, ow0);
      else if (g.tile == 4)
        output_tile<16, 4>(in, point_stride, bias, g.relu, plane, g.oh, g.ow, oh0, ow0);
      else
        output_tile<16, 2>(in, point_stride, bias, g.relu, plane, g.oh, g.ow, oh0, ow0);
    }
  }
}

void winograd_output_grad(const WinogradGeometry& g, const float* d_dst, int64_t first, int64_t tiles, float* m) {
  const int64_t blocks = g.out / g.block;
  const int64_t plane_size = g.oh * g.ow * g.block;
#pragma omp parallel for schedule(static)
  for (int64_t t = 0; t < tiles; ++t) {
    const auto [n, th, tw] = tile_at(g, first + t);
    const int64_t oh0 = th * g.tile, ow0 = tw * g.tile;
    for (int64_t kb = 0; kb < blocks; ++kb) {
      const float* plane = d_dst + (n * blocks + kb) * plane_size;
      float* out = m + t * kWinogradPoints * g.out + kb * g.block;
      if (g.block == 8 && g.tile == 4)
        output_grad_tile<8, 4>(plane, g.oh, g.ow, oh0, ow0, out, g.out);
      else if (g.block == 8)
        output_grad_tile<8, 2>(plane, g.oh, g.ow, oh0, ow0, out, g.out);
      else if (g.tile == 4)
        output_grad_tile<16, 4>(plane, g.oh, g.ow, oh0, ow0, out, g.out);
      else
        output_grad_tile<16, 2>(plane, g.oh, g.ow, oh0, ow0, out, g.out);
    }
  }
}

// d_bias[k] = the sum of the output's gradient over images and positions: each image's sum in
// float vectors, the images' sums in double.
void winograd_bias_grad(const WinogradGeometry& g, const float* d_dst, int64_t batch, float* d_bias) {
  const int64_t blocks = g.out / g.block, plane = g.oh * g.ow;
  const int block = g.block;
#pragma omp parallel for schedule(static)
  for (int64_t kb = 0; kb < blocks; ++kb) {
    double total[16] = {};  // block <= 16
    for (int64_t n = 0; n < batch; ++n) {
      const float* x = d_dst + (n * blocks + kb) * plane * block;
      float sum[16] = {};
      for (int64_t i = 0; i < plane; ++i)
        for (int c = 0; c < block; ++c) sum[c] += x[i * block + c];
      for (int c = 0; c < block; ++c) total[c] += sum[c];
    }
    for (int c = 0; c < block; ++c) d_bias[kb * block + c] = static_cast<float>(total[c]);
  }
}

}  // namespace alexnet::ALEXNET_SIMD_NS
