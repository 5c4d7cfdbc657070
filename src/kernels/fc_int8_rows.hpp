// The int8 fully connected layer at small batches (kernels/quant.hpp), our own: at batch 1
// oneDNN's igemm computes one row at a time as a matrix product and runs below the memory's
// pace (alexnet-torchvision's fc6: 38 MB of int8 weights in 5.8 ms on a 2-core Zen 3, where
// the bandwidth allows ~1.6 ms). Here each weight row is streamed once for all the batch's
// images (simd/int8_rows.cpp), the rows split between threads, the weights on 2 MB pages: fc6
// in 2.2-2.5 ms there (~16 GB/s; one thread alone streams ~9 GB/s). It needs no 7-bit
// weights: its 16-bit products never sum in pairs.
#pragma once
#include <vector>

#include "kernels/fc_kernels.hpp"
#include "tensor/huge_pages.hpp"

namespace alexnet {

class Int8RowsFc : public Kernel {
 public:
  // The batches it is offered at: the weights are read once per batch, the images in turn.
  static constexpr int64_t kMaxBatch = 8;
  void setup(const FcRequest& r);
  void forward(const Tensor& in, const Tensor& out) override;
  void weights_changed() override { stale_ = true; }
  std::string impl(Pass) const override;

 private:
  FcRequest r_;
  bool stale_ = true;
  HugeBuffer<int8_t> weights_;  // [out][in], on 2 MB pages (a stream)
  std::vector<int32_t> row_sums_;
  std::vector<float> scales_, bias_;
  std::vector<int16_t> u_;  // the quantized input, [batch][in]
};

}  // namespace alexnet
