// Winograd convolution, forward: F(4x4, 3x3) and F(2x2, 5x5) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2015). On AVX2 oneDNN 2.6 has no Winograd
// and its direct kernel already runs AlexNet's convolutions at the FMA peak, so only fewer
// multiplies make them faster. A 4x4 output tile of a 3x3 kernel costs 36 products per
// channel pair instead of 144; a 2x2 tile of a 5x5 kernel, 36 instead of 100:
//   Y = A^T [ (G g G^T) . (B^T d B) ] A
// The filter transform (G g G^T) runs once per weight change; the input transform (B^T d B)
// and the output transform (A^T m A, with bias and ReLU) are small loops over a vector's
// worth of channels (simd/winograd_tiles.cpp, compiled once per instruction-set level); the 36
// independent channel products of each tile are one batched matrix product on oneDNN's matmul.
// Activations are in the CPU's blocked layout (nChw8c or nChw16c) on both sides. Training's
// backward-data pass is such a forward too, of the turned filters (kernels/conv_winograd.hpp);
// its weight gradients run the transforms the other way (backward_weights).
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <array>
#include <map>
#include <utility>
#include <vector>

#include "kernels/simd/simd_kernels.hpp"
#include "kernels/simd_level.hpp"
#include "tensor/huge_pages.hpp"
#include "tensor/tensor.hpp"

namespace alexnet {

struct WinogradShape {
  int64_t in = 0, out = 0, height = 0, width = 0, kernel = 3, pad = 1, groups = 1;
  bool relu = false;
  bool operator==(const WinogradShape&) const = default;
};

class Winograd {
 public:
  // Whether the shape fits: kernel 3 or 5, stride 1, pad below the kernel, channel blocks of
  // `block` within one group.
  static bool supports(const WinogradShape& s, int block);
  // level: whose compiled transforms run (the CPU's, unless a test asks for another).
  Winograd(const WinogradShape& s, int block, SimdLevel level = simd_level());

  // From OIHW weights (O = out, I = in / groups) and the bias (null: none); again after every
  // change.
  void set_weights(const float* oihw, const float* bias);
  // Makes the matrix products for this batch size (once; kept for other sizes too).
  void prepare(int64_t batch);
  // src: batch x in x height x width, dst: batch x out x OH x OW, both nChw{block}c.
  void forward(const float* src, float* dst, int64_t batch);
  // Training's weight gradients, from the forward's input and the gradient of its output
  // (both blocked): d_oihw (O, I/groups, k, k) and d_bias, overwritten. The same transforms
  // run the other way: dW = G^T [ sum over tiles (B^T d B) (A dY A^T) ] G.
  void backward_weights(const float* src, const float* d_dst, int64_t batch, float* d_oihw, float* d_bias);
  const WinogradShape& shape() const { return s_; }
  int block() const { return block_; }
  std::string impl() const;

 private:
  std::pair<float*, float*> chunk_scratch() const;
  struct Product {
    dnnl::matmul matmul;
    md src, weights, dst;
  };
  const Product& product(int64_t tiles);
  // The weight gradient's products: [in/groups, tiles] x [tiles, out/groups] for each point
  // and group, the first chunk's written (set), the others' added (add).
  struct WeightProduct {
    dnnl::matmul set, add;
    md src, weights, dst;
  };
  const WeightProduct& weight_product(int64_t tiles);

  WinogradShape s_;
  int block_;
  WinogradGeometry g_;        // where the tiles lie, for the per-tile transforms
  const SimdKernels* simd_;   // the transforms, compiled for the CPU's level
  // Transformed filters, [36][groups][in/groups][out/groups] (4x the filters for 3x3: at
  // batch 1 they are read from memory like the fc weights, so on huge pages), and their
  // gradient in training.
  size_t u_size() const;
  HugeBuffer<float> u_, du_;
  std::vector<float> bias_;
  std::map<int64_t, Product> products_;  // by tiles per chunk (full chunks, the rest)
  std::map<int64_t, WeightProduct> weight_products_;
  std::string matmul_impl_;
};

}  // namespace alexnet
