// Static int8 quantization of one layer with parameters (conv, fc), as files hold it: the
// layer's input as u8 with one scale and zero point, its weights as s8 with one scale per
// output channel (symmetric), the bias as an int32 of the product (ONNX QLinearConv's rule).
//
//   input  x ~ in_scale * (u - in_zero),   u = clamp(rne(x * (1 / in_scale) + in_zero), 0, 255)
//                                          (in f32, as oneDNN's reorder computes it)
//   weight w = w_scale[o] * q,             q in [-127, 127]
//   bias   b = in_scale * w_scale[o] * rne(b / (in_scale * w_scale[o]))   an int32 of the product
//
// in_zero is 0 after a ReLU (the whole u8 range for the non-negative values) and 128 for a
// signed input (the first layer's normalised image).
//
// Without VNNI the CPU's int8 product (vpmaddubsw) adds two u8 x s8 products into a saturating
// 16-bit sum: 255 * 127 * 2 overflows it, 255 * 63 * 2 does not. There the kernels compute
// with 7-bit weights: weights already within [-63, 63] as they are, others rounded to half
// (q' = rne(q / 2), w_scale' = 2 w_scale). `alexnet quantize` writes 7-bit weights, so its
// files compute the same on every CPU.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>


namespace alexnet {

struct LayerQuant {
  float in_scale = 1;
  int in_zero = 0;
  std::vector<float> w_scale;  // one per output channel
};
// Layer name (conv1 ... fc8) -> its quantization; the layers not named compute in f32.
using Quantization = std::map<std::string, std::shared_ptr<const LayerQuant>>;

// Whether this CPU's int8 products sum 4 u8 x s8 products into 32 bits (AVX-512 VNNI, AVX-VNNI)
// as oneDNN dispatches them (ONEDNN_MAX_CPU_ISA holds it too).
bool cpu_has_vnni();
// The largest weight magnitude the int8 kernels compute with here: 127 with VNNI, else 63.
int int8_weight_limit();

// rne(v / scale[o]) for the `per_out` weights of each output channel o, into q; returns the
// largest magnitude seen. Exact for weights that are w_scale * q in f32 (a file's).
int quantize_weights(const float* w, int64_t out, int64_t per_out, const std::vector<float>& scale, int8_t* q);
// The weights and scales as this CPU computes them (int8_weight_limit): halved where they exceed it.
void fit_weights_to_cpu(int8_t* q, int64_t out, int64_t per_out, std::vector<float>& scale, int largest,
                        int limit = int8_weight_limit());

// The bias of one output channel on the int32 grid of the product (in_scale * w_scale[o] in
// f32): the value the int8 kernels add, and the f32 kernels too where they run an int8 layer.
// product_bias_units is that int32 (what a QDQ graph stores), product_bias its value.
int32_t product_bias_units(float b, const LayerQuant& q, int64_t o);
float product_bias(float b, const LayerQuant& q, int64_t o);

// What an int8 product needs of a layer's f32 parameters (weights w_scale * q in f32, so that
// q is recovered exactly): the s8 weights in the files' layout, fitted to this CPU; per output
// channel the output scale in_scale * w_scale; and the bias as oneDNN 2.x adds it, to the
// integer sums before they are scaled: the int32 of the rule above.
struct Int8Params {
  std::vector<int8_t> weights;
  std::vector<float> out_scales, bias;
  bool seven_bit = false;  // the weights were halved to 7 bits for this CPU
  // limit: the largest weight the kernel computes with (int8_weight_limit() for oneDNN's).
  void make(const float* w, const float* b, int64_t out, int64_t per_out, const LayerQuant& q,
            int limit = int8_weight_limit());
  // "int8 (7-bit weights)" or "int8": what an impl string says of them.
  std::string name() const { return seven_bit ? "int8 7-bit" : "int8"; }
};

}  // namespace alexnet
