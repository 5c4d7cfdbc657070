// Weight files in the formats users have, all read into one form (tensors by the names of
// docs/spec.md §1, and metadata): safetensors (ours and converted torchvision ones), PyTorch
// .pth/.pt zip state dicts, ONNX models (matched onto an architecture, formats/onnx_import.hpp)
// and Caffe's .caffemodel (formats/caffe_model.hpp). The format is told by the file's first
// bytes, not its name.
#pragma once
#include <string>

#include "formats/safetensors.hpp"

namespace alexnet {

enum class WeightFormat { safetensors, torch, onnx, caffe };

WeightFormat sniff_weight_format(const std::string& bytes);
WeightFormat sniff_weight_file(const std::string& path);  // from its first bytes
// A file of that format, converted: its tensors and metadata.
SafetensorsFile read_weights_file(const std::string& path, WeightFormat format);

// For files without an "arch" in their metadata (.pth): the architecture their tensor names
// and conv1's shape say, or "" when they say none.
std::string guess_arch(const SafetensorsFile& f);

}  // namespace alexnet
