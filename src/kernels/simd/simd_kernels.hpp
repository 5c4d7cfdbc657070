// The project's own SIMD loops, as one table of functions per instruction-set level. Every file
// of kernels/simd/ is compiled once per level (CMake's alexnet_simd_sources: generic x86-64,
// AVX2 + FMA, AVX-512), each copy in a namespace of its own (simd_generic, simd_avx2,
// simd_avx512), so one binary carries them all; kernels/simd_level.cpp picks the table for
// the CPU at start. The loops are the same source at every level and compute the same numbers
// (up to the rounding of fused multiply-adds).
//
// These files include nothing with inline functions shared with the rest of the library (no
// standard container, no algorithm, no oneDNN): the linker keeps one copy of such a function
// for the whole program, and it could be this level's AVX-512 one. tests/simd_levels.sh reads
// the binaries and fails if any code outside simd_avx2:: and simd_avx512:: uses AVX.
#pragma once
#include <cstdint>

namespace alexnet {

struct LrnParams;  // kernels/lrn_params.hpp

// Winograd's input tile side (both algorithms interpolate at 0, 1, -1, 2, -2 and infinity)
// and its points, which the transforms and the batched products share.
inline constexpr int kWinogradAlpha = 6;
inline constexpr int kWinogradPoints = kWinogradAlpha * kWinogradAlpha;

// Where a Winograd layer's tiles lie (kernels/winograd.hpp): what the per-tile transforms read.
struct WinogradGeometry {
  int64_t in = 0, out = 0, height = 0, width = 0, pad = 0;
  int block = 8;  // channels a vector holds: 8 (nChw8c) or 16 (nChw16c)
  int tile = 4;   // output tile side: 4 for 3x3 kernels, 2 for 5x5
  int64_t oh = 0, ow = 0, tiles_h = 0, tiles_w = 0;
  bool relu = false;
};

// The channel blocks one position of the blocked LRN holds on the stack.
inline constexpr int kLrnMaxBlocks = 64;

// Max pooling of k x k windows with stride s and no padding (kernels/pool_kernels.hpp) on
// nChw{block}c, or on nhwc (channels_last) with channels a multiple of block: a plane is an
// image's `block` channels, a vector at each pixel.
struct PoolGeometry {
  int64_t batch = 0, blocks = 0, ih = 0, iw = 0, oh = 0, ow = 0;
  int kernel = 3, stride = 2, block = 8;
  bool channels_last = false;
  // Floats from one pixel's vector to the next, and where plane p (image p / blocks, channel
  // block p % blocks) begins in a tensor of h x w pixels.
  int64_t pixel() const { return channels_last ? blocks * block : block; }
  int64_t plane(int64_t p, int64_t h, int64_t w) const {
    return channels_last ? (p / blocks) * h * w * blocks * block + (p % blocks) * block : p * h * w * block;
  }
};

// An int8 fc layer at small batches (kernels/fc_int8_rows.hpp): weights [out][in] s8, inputs
// [batch][in] as u8 in 16 bits; per output y = scales * (sum (u - zero) * q + bias), ReLU'd
// when asked.
struct Int8Rows {
  const int8_t* weights = nullptr;
  const int32_t* row_sums = nullptr;  // sum of each row's weights
  const float *scales = nullptr, *bias = nullptr;
  int64_t out = 0, in = 0, batch = 0;
  int zero = 0;
  bool relu = false;
};

struct SimdKernels {
  const char* level;  // "generic", "avx2", "avx512"
  // Winograd: tiles [first, first + tiles) of the batch, image by image, row-major.
  // v, m: [tile][36 points][channels]; src, dst, d_dst: nChw{block}c.
  void (*winograd_input)(const WinogradGeometry& g, const float* src, int64_t first, int64_t tiles, float* v);
  void (*winograd_output)(const WinogradGeometry& g, const float* m, const float* bias, int64_t first,
                          int64_t tiles, float* dst);
  void (*winograd_output_grad)(const WinogradGeometry& g, const float* d_dst, int64_t first, int64_t tiles,
                               float* m);
  void (*winograd_bias_grad)(const WinogradGeometry& g, const float* d_dst, int64_t batch, float* d_bias);
  // LRN across channels on nChw{block}c (kernels/lrn_blocked.hpp).
  void (*lrn_forward)(const LrnParams& p, int block, const float* x, float* y, int64_t batch, int64_t channels,
                      int64_t hw);
  void (*lrn_backward)(const LrnParams& p, int block, const float* x, const float* dy, float* dx, int64_t batch,
                       int64_t channels, int64_t hw);
  // Max pooling; taps (one byte per output value, which tap of the window held the max) is
  // written by the forward when not null, and read by the backward.
  void (*max_pool_forward)(const PoolGeometry& g, const float* x, float* y, uint8_t* taps);
  void (*max_pool_backward)(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx);
  // The int8 fc layer's input quantized (u = clamp(rne(x * inv_scale + zero), 0, 255)), and its
  // output rows [first, first + rows) for the whole batch into y [batch][out].
  void (*int8_quantize_rows)(const float* x, int64_t count, float inv_scale, int zero, int16_t* u);
  void (*int8_rows)(const Int8Rows& r, const int16_t* u, int64_t first, int64_t rows, float* y);
};

namespace simd_generic {
extern const SimdKernels kernels;
}
namespace simd_avx2 {
extern const SimdKernels kernels;
}
namespace simd_avx512 {
extern const SimdKernels kernels;
}

#ifdef ALEXNET_SIMD_NS
// The functions of the level being compiled, for its table (simd/table.cpp).
namespace ALEXNET_SIMD_NS {
void winograd_input(const WinogradGeometry& g, const float* src, int64_t first, int64_t tiles, float* v);
void winograd_output(const WinogradGeometry& g, const float* m, const float* bias, int64_t first, int64_t tiles,
                     float* dst);
void winograd_output_grad(const WinogradGeometry& g, const float* d_dst, int64_t first, int64_t tiles, float* m);
void winograd_bias_grad(const WinogradGeometry& g, const float* d_dst, int64_t batch, float* d_bias);
void lrn_forward(const LrnParams& p, int block, const float* x, float* y, int64_t batch, int64_t channels,
                 int64_t hw);
void lrn_backward(const LrnParams& p, int block, const float* x, const float* dy, float* dx, int64_t batch,
                  int64_t channels, int64_t hw);
void max_pool_forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps);
void max_pool_backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx);
void int8_quantize_rows(const float* x, int64_t count, float inv_scale, int zero, int16_t* u);
void int8_rows(const Int8Rows& r, const int16_t* u, int64_t first, int64_t rows, float* y);
}  // namespace ALEXNET_SIMD_NS
#endif

}  // namespace alexnet
