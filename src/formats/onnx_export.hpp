// ONNX models out: a network as an inference graph (opset 13: Conv, Relu, the native LRN op,
// MaxPool, Flatten, Gemm) with a dynamic batch dimension, input "input" [N, 3, C, C] already
// normalised and output "logits" [N, classes], weights as initializers under our tensor names,
// and the architecture, class names and normalisation in metadata_props (as our safetensors
// metadata, so `--weights model.onnx` reads them back). The model passes onnx::checker.
// An int8 network (kernels/quant.hpp) becomes a QDQ graph: each int8 layer's input through
// QuantizeLinear -> DequantizeLinear (u8, its scale and zero point), its weights int8 and its
// bias int32 through DequantizeLinear (per output channel), so the graph computes what the
// network does and runtimes that fuse QDQ patterns (ONNX Runtime) run it in int8.
#pragma once
#include <string>

#include "formats/weights.hpp"

namespace alexnet {

std::string export_onnx(Network& net, const ModelInfo& info);
void write_onnx(Network& net, const ModelInfo& info, const std::string& path);  // atomic

}  // namespace alexnet
