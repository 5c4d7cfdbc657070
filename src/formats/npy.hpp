// NumPy .npy files (format versions 1-3): float32 little-endian, C order. Reading checks the
// magic, the header and that the data is exactly as long as the shape says.
#pragma once
#include <string>
#include <vector>

#include "formats/safetensors.hpp"

namespace alexnet {

NamedTensor read_npy(const std::string& path);
NamedTensor parse_npy(const std::string& bytes, const std::string& path_for_errors);
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data);

}  // namespace alexnet
