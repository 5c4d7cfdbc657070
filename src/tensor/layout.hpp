// The activation layout of the CPU at hand. oneDNN's direct convolution, pooling and LRN
// kernels want channels in blocks of the vector width: nChw16c where it dispatches AVX-512,
// nChw8c where it dispatches AVX2 (ONEDNN_MAX_CPU_ISA included). Leaving the layout to
// `any` is not enough: on AVX2 a convolution whose kernel refuses the shape (torchvision's
// conv1) falls back to gemm on plain nchw, and `any` then keeps every later layer plain and
// on gemm or reference kernels (pooling 30x slower). So the network asks for this layout
// explicitly, and layers check what oneDNN gave them (impl_is_direct). Below AVX2, oneDNN's
// direct kernels (jit:sse41) compute the forward alone: on the blocked layout they choose, a
// training's backward falls to the reference kernels (alexnet-torchvision at batch 32 under
// ONEDNN_MAX_CPU_ISA=SSE41: under 0.5 images/s), so training there keeps activations plain and
// runs gemm for every pass (6.7 images/s); inference keeps jit:sse41 (20 against 18.2 images/s
// at batch 16). Measured on 2 vCPUs of an AMD EPYC (Zen 3), December 2026.
#pragma once
#include <string>

#include "tensor/tensor.hpp"

namespace alexnet {

tag activation_tag();               // nChw16c, nChw8c, or any (no AVX2: let oneDNN choose)
// 4-D f32 in activation_tag(); below AVX2 plain nchw for a layer that trains.
md activation_md(const dims& shape, bool training = false);
const char* cpu_isa_name();         // "avx512_core", "avx2", ... as oneDNN dispatches
// oneDNN's im2col + gemm implementations ("x64:gemm:jit"; brgemm is a direct kernel).
bool impl_is_gemm(const std::string& impl);
// False for oneDNN's reference and gemm-based implementations (impl_info_str).
bool impl_is_direct(const std::string& impl);

}  // namespace alexnet
