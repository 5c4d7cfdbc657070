#include "kernels/choice.hpp"

#include "kernels/conv_direct.hpp"
#include "kernels/conv_padded.hpp"
#include "kernels/conv_winograd.hpp"
#include "kernels/lrn_blocked.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

namespace {

// The thresholds of the choices below. Measured with oneDNN 2.6 on 2 vCPUs of an AMD EPYC
// (Zen 5, KVM), natively (AVX-512) and under ONEDNN_MAX_CPU_ISA=AVX2, November 2026, with
// `alexnet bench --layers`, the binaries before and after alternated.
struct Thresholds {
  // Winograd on a 5x5 layer needs at least this many channels a group, in and out, on AVX2
  // (8-channel blocks) and on AVX-512 (16). Its 9 transformed values per output pay only with
  // large products: alexnet-mini's conv2 (16 a group) ran 0.3-0.4x oneDNN's direct forward and
  // its backward data (16 out) lost 4% on AVX2; the 2012 net's conv2 (48) ran 1.12x on AVX2 but
  // 0.88x on AVX-512, and its backward data lost 8% there; torchvision's (64) 1.3x and 1.15x.
  int winograd5x5_group_channels_avx2 = 32;
  int winograd5x5_group_channels_avx512 = 64;
  // Winograd on output maps smaller than this side wastes most of each 4x4 tile: alexnet-mini's
  // 6x6 3x3 layers ran 0.96-1.0x the direct kernel. From 13x13 on it wins: torchvision's conv3-5
  // 2.0x on AVX2 and 1.15x oneDNN's own AVX-512 Winograd, the 2012 net's grouped conv4-5 2.5x.
  int winograd_output_side = 8;
  // Our LRN on the blocked layout runs where oneDNN's block is 8 channels (AVX2): oneDNN's
  // jit:avx2 LRN is 3-4x slower than its AVX-512 one (alexnet-mini's training step 47 ->
  // 42.5 ms). On AVX-512 oneDNN's stays: ours was as fast in training, 1.25x slower in inference.
  int blocked_lrn_block = 8;
};
constexpr Thresholds kThresholds;

// 8 or 16 when activations are in the CPU's blocked layout (nChw8c, nChw16c), else 0.
int activation_block() {
  const tag t = activation_tag();
  return t == tag::nChw8c ? 8 : t == tag::nChw16c ? 16 : 0;
}

bool winograd_wins(const WinogradShape& ws, int block) {
  const int64_t least = block == 8 ? kThresholds.winograd5x5_group_channels_avx2
                                   : kThresholds.winograd5x5_group_channels_avx512;
  if (ws.kernel == 5 && (ws.in / ws.groups < least || ws.out / ws.groups < least)) return false;
  if (ws.height + 2 * ws.pad - ws.kernel + 1 < kThresholds.winograd_output_side) return false;
  return Winograd::supports(ws, block);
}

}  // namespace

// Forward: our Winograd where it wins; the padded first layer where oneDNN's direct kernel
// refuses the plain input; else oneDNN's direct kernel. The weight gradients go with the
// forward's kernel (Winograd's tiles, the padded input); the backward data runs Winograd on
// the turned filters where that shape wins, else oneDNN's direct kernel.
Kernels choose_conv_kernels(const ConvRequest& r, const Kernels& before) {
  Kernels k;
  const int block = activation_block();
  const bool winograd_ok = block && r.shape.stride == 1 && r.in == activation_md(r.in.dims());
  const bool weights = r.training() && !r.frozen, data = r.training() && r.need_d_in;
  DirectConv::Passes direct;
  if (winograd_ok && winograd_wins(r.winograd_forward(), block)) {
    auto w = before.kept<WinogradConv>();
    k.out = w->setup(r, block);
    k.forward = w;
    if (weights) k.backward_weights = w;
  } else if (PaddedConv::helps(r)) {
    auto p = before.kept<PaddedConv>();
    k.out = p->setup(r);
    k.forward = p;
    if (weights) k.backward_weights = p;
  } else {
    direct.forward = true;
    direct.weights = weights;
  }
  if (data && winograd_ok && winograd_wins(r.winograd_backward_data(), block)) {
    auto w = before.kept<WinogradConvData>();
    w->setup(r, block);
    k.backward_data = w;
  } else {
    direct.data = data;
  }
  if (direct.forward || direct.data || direct.weights) {
    auto d = before.kept<DirectConv>();
    const md out = d->setup(r, direct);
    if (direct.forward) k.out = out, k.forward = d;
    if (direct.data) k.backward_data = d;
    if (direct.weights) k.backward_weights = d;
  }
  return k;
}

// Inference: oneDNN's inner product on the weights' blocked layout (brgemm on AVX-512: 2.5x at
// batch 64, 1.1x at batch 1 for alexnet-torchvision) unless it would run gemm there anyway
// (AVX2), where gemm reads the plain weights as fast and no copy is held. Training's forward:
// the matmul on the plain weights read as [in, out] (brgemm on AVX-512: torchvision's fc6 at
// batch 128 in 22 ms instead of the inner product's 45), unless it lands on gemm too.
Kernels choose_fc_kernels(FcRequest r, const Kernels& before) {
  Kernels k;
  auto ip = before.kept<InnerProductFc>();
  r.blocked_weights = r.mode == Mode::eval && !InnerProductFc::runs_gemm(r, true);
  ip->setup(r);
  k.forward = ip;
  k.out = plain_md({r.batch, r.out});
  if (r.mode != Mode::train) return k;
  if (!MatmulFcForward::runs_gemm(r)) {
    auto mm = before.kept<MatmulFcForward>();
    mm->setup(r);
    k.forward = mm;
  }
  if (r.need_d_in) k.backward_data = ip;
  if (!r.frozen) k.backward_weights = ip;
  return k;
}

Kernels choose_lrn_kernels(const LrnParams& p, const md& in, Mode mode, const Kernels& before) {
  Kernels k;
  const int block = activation_block();
  if (block == kThresholds.blocked_lrn_block && in == activation_md(in.dims()) &&
      lrn_blocked_supports(p, block, in.dims()[1])) {
    k.forward = std::make_shared<BlockedLrn>(p, block);
    k.out = in;
  } else {
    auto o = before.kept<OnednnLrn>();
    k.out = o->setup(p, in, mode);
    k.forward = o;
  }
  if (mode == Mode::train) k.backward_data = k.forward;
  return k;
}

}  // namespace alexnet
