// ONNX models out: a network as an inference graph (opset 13: Conv, Relu, the native LRN op,
// MaxPool, Flatten, Gemm) with a dynamic batch dimension, input "input" [N, 3, C, C] already
// normalised and output "logits" [N, classes], weights as initializers under our tensor names,
// and the architecture, class names and normalisation in metadata_props (as our safetensors
// metadata, so `--weights model.onnx` reads them back). The model passes onnx::checker.
#pragma once
#include <string>

#include "formats/weights.hpp"

namespace alexnet {

std::string export_onnx(Network& net, const ModelInfo& info);
void write_onnx(Network& net, const ModelInfo& info, const std::string& path);  // atomic

}  // namespace alexnet
