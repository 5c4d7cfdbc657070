#include "kernels/quant.hpp"

#include <algorithm>
#include <cmath>
#include <oneapi/dnnl/dnnl.hpp>


namespace alexnet {

using namespace dnnl;

bool cpu_has_vnni() {
  const cpu_isa isa = get_effective_cpu_isa();
  return isa == cpu_isa::avx2_vnni || isa == cpu_isa::avx512_core_vnni || isa == cpu_isa::avx512_core_bf16 ||
         isa == cpu_isa::avx512_core_amx;
}

int int8_weight_limit() { return cpu_has_vnni() ? 127 : 63; }

int quantize_weights(const float* w, int64_t out, int64_t per_out, const std::vector<float>& scale, int8_t* q) {
  int largest = 0;
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = o * per_out; i < (o + 1) * per_out; ++i) {
      const float v = std::nearbyint(w[i] / scale[o]);
      const int c = static_cast<int>(std::clamp(v, -127.f, 127.f));
      q[i] = static_cast<int8_t>(c);
      largest = std::max(largest, std::abs(c));
    }
  return largest;
}

void fit_weights_to_cpu(int8_t* q, int64_t out, int64_t per_out, std::vector<float>& scale, int largest, int limit) {
  if (largest <= limit) return;
  for (int64_t i = 0; i < out * per_out; ++i) q[i] = static_cast<int8_t>(std::nearbyint(q[i] * 0.5f));
  for (int64_t o = 0; o < out; ++o) scale[o] *= 2;
}

int32_t product_bias_units(float b, const LayerQuant& q, int64_t o) {
  const float scale = q.in_scale * q.w_scale[o];
  return static_cast<int32_t>(std::clamp(std::nearbyint(double(b) / scale), -2147483647.0, 2147483647.0));
}

float product_bias(float b, const LayerQuant& q, int64_t o) {
  return static_cast<float>(double(product_bias_units(b, q, o)) * (q.in_scale * q.w_scale[o]));
}

void Int8Params::make(const float* w, const float* b, int64_t out, int64_t per_out, const LayerQuant& q, int limit) {
  weights.resize(out * per_out);
  std::vector<float> scale = q.w_scale;
  const int largest = quantize_weights(w, out, per_out, scale, weights.data());
  seven_bit = largest > limit;
  fit_weights_to_cpu(weights.data(), out, per_out, scale, largest, limit);
  out_scales.resize(out);
  bias.resize(out);
  for (int64_t o = 0; o < out; ++o) {
    out_scales[o] = q.in_scale * scale[o];
    // In the units of this CPU's product (halved where the weights were: exact).
    bias[o] = product_bias(b[o], q, o) / out_scales[o];
  }
}

}  // namespace alexnet
