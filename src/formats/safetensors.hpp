// safetensors (https://github.com/huggingface/safetensors): 8-byte little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}}, then
// the raw little-endian data. Reading trusts nothing: every length, offset, dtype and shape is
// checked before use, and every problem is a UserError naming the file and the tensor.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace alexnet {

struct NamedTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;  // converted to f32 (from F32, F16, BF16, F64, or the integers I8, U8)
  std::string dtype = "F32";  // as the file has it; written as F32, or as I8 / U8 (integral values)
};

struct SafetensorsFile {
  std::map<std::string, NamedTensor> tensors;
  std::map<std::string, std::string> metadata;
};

SafetensorsFile read_safetensors(const std::string& path);
// The header alone, every entry checked against the file's size: names, shapes and metadata,
// tensors without data. Milliseconds for a file of any size.
SafetensorsFile read_safetensors_header(const std::string& path);
SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& path_for_errors);

// Writes the tensors (F32, I8 or U8) atomically. Tensors are written in name order.
void write_safetensors(const std::string& path, const SafetensorsFile& file);
std::string serialize_safetensors(const SafetensorsFile& file);

}  // namespace alexnet
