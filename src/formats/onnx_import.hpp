// ONNX models in: the graph is matched, node by node, onto one of our architectures
// (Conv, Relu, LRN, MaxPool, an identity AveragePool, Flatten/Reshape, Gemm or MatMul+Add,
// Dropout, Softmax), so no --arch is needed, and its weights are taken from the initializers
// (or Constant nodes) under our tensor names. Reads torchvision's AlexNet as torch.onnx.export
// writes it and the files `alexnet convert` writes (with their metadata_props: architecture,
// class names, normalisation). A graph that is not one of ours is a UserError naming the node
// that did not fit. LRN must be the ONNX op with an architecture's parameters (size 5, alpha
// 1e-4, beta 0.75, bias 2; bias 1 is Caffe's bvlc_alexnet, architecture alexnet-caffe).
// A QDQ graph (QuantizeLinear/DequantizeLinear, ours or another quantizer's) reads as int8
// weights: a layer whose input and int8 weights come through DequantizeLinear is an int8
// layer (formats/quantized_weights.hpp), its bias dequantized; u8 or s8 activations, one
// weight scale or one per output channel, and ReLUs dropped before a QuantizeLinear that
// clamps at zero are all read. Other QDQ pairs (before an LRN) are not simulated: the engine
// computes those values in f32.
#pragma once
#include <string>

#include "formats/safetensors.hpp"

namespace alexnet {

SafetensorsFile import_onnx(const std::string& bytes, const std::string& name);

}  // namespace alexnet
