// Weights from one format to another, as `alexnet convert` and alexnet.convert() do it: in
// from .safetensors, .pth/.pt, .onnx or .caffemodel (formats/weights.hpp), out to .safetensors
// or .onnx by the extension. A Caffe model may bring its deploy.prototxt, checked against the
// architecture, and its mean image, which then travels with the weights.
#pragma once
#include <string>

namespace alexnet {

struct ConvertRequest {
  std::string in, out;
  std::string arch;      // when the input does not say (may be empty)
  std::string prototxt;  // Caffe's deploy.prototxt (may be empty)
  std::string mean;      // Caffe's mean .binaryproto (may be empty)
};

// Writes request.out atomically; returns "IN -> OUT (ARCH, K classes)". A note goes to stderr
// when the ONNX graph cannot carry the mean image.
std::string convert_weights(const ConvertRequest& request);

}  // namespace alexnet
