// int8 weights in safetensors (kernels/quant.hpp), beside the f32 ones a file of this project
// holds. For a layer whose tensors are <t> (conv1, features.0, ...):
//
//   <t>.weight            I8  [out, ...]  q, within [-127, 127]
//   <t>.weight_scale      F32 [out]       the weight is weight_scale[o] * q
//   <t>.bias              F32 [out]
//   <t>.input_scale       F32 [1]         the input is input_scale * (u - input_zero_point)
//   <t>.input_zero_point  U8  [1]
//
// The metadata says "precision": "int8". Layers without these tensors compute in f32. Read,
// every value is checked (scales finite and positive, one per output channel) and the weights
// are handed to the network dequantized, which the int8 kernels quantize back exactly.
#pragma once
#include <string>

#include "formats/safetensors.hpp"
#include "model/network.hpp"

namespace alexnet {

// Whether `name` is one of the tensors above other than the weight and bias.
bool is_quantization_tensor(const std::string& name);
// Whether the file holds int8 tensors.
bool is_quantized(const SafetensorsFile& f);

// The file's quantization for the layers of `arch`, its weights dequantized in place in f;
// UserErrors name the file and the tensor. Empty for an f32 file.
Quantization take_quantization(const ArchSpec& arch, int classes, SafetensorsFile& f, const std::string& path);
// The network's int8 layers into f (whose f32 parameters export_params wrote): weights as I8,
// their scales, the inputs' scales and zero points, and the metadata's precision.
void put_quantization(const Network& net, SafetensorsFile& f);

}  // namespace alexnet
