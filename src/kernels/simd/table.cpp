// This level's table of SIMD loops (compiled once per level, like every file of simd/).
#include "kernels/simd/simd_kernels.hpp"

namespace alexnet::ALEXNET_SIMD_NS {

const SimdKernels kernels = {ALEXNET_SIMD_LEVEL, winograd_input,   winograd_output,   winograd_output_grad,
                             winograd_bias_grad, lrn_forward,      lrn_backward,      max_pool_forward,
                             max_pool_backward,  int8_quantize_rows, int8_rows};

}  // namespace alexnet::ALEXNET_SIMD_NS
