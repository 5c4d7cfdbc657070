#include "formats/weight_formats.hpp"

#include "model/layer_plan.hpp"

#include "formats/caffe_model.hpp"
#include "formats/torch_file.hpp"
#include "model/arch.hpp"
#include "formats/onnx_import.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

WeightFormat sniff_weight_format(const std::string& b) {
  if (is_zip(b) || (b.size() > 2 && static_cast<uint8_t>(b[0]) == 0x80 && b[1] == 0x02)) return WeightFormat::torch;
  // safetensors: an 8-byte little-endian header length, then the JSON header's '{'.
  if (b.size() > 8 && b[8] == '{') return WeightFormat::safetensors;
  // An ONNX ModelProto starts with field 1 (ir_version, a varint: 0x08) in every exporter.
  if (!b.empty() && b[0] == 0x08) return WeightFormat::onnx;
  if (looks_like_caffemodel(b)) return WeightFormat::caffe;
  return WeightFormat::safetensors;  // its reader says what is wrong
}

WeightFormat sniff_weight_file(const std::string& path) { return sniff_weight_format(read_file_head(path, 9)); }

SafetensorsFile read_weights_file(const std::string& path, WeightFormat format) {
  const std::string bytes = read_file(path);
  switch (format) {
    case WeightFormat::torch: return parse_torch_file(bytes, path);
    case WeightFormat::onnx: return import_onnx(bytes, path);
    case WeightFormat::caffe: return import_caffemodel(bytes, path);
    default: return parse_safetensors(bytes, path);
  }
}

std::string guess_arch(const SafetensorsFile& f) {
  if (f.tensors.count("features.0.weight")) return "alexnet-torchvision";
  auto it = f.tensors.find("conv1.weight");
  if (it == f.tensors.end()) return "";
  for (const std::string& name : arch_names()) {
    const std::vector<LayerSpec> plan = layer_plan(arch_by_name(name), 0);
    const LayerSpec& first = plan.front();
    if (it->second.shape == first.weight_shape() && first.weight() == "conv1.weight") return name;
  }
  return "";
}

}  // namespace alexnet
