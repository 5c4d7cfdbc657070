// PyTorch weight files: the zip format of torch.save (PyTorch >= 1.6) holding a state dict,
// read without Python. The zip goes through libzip, data.pkl through the restricted
// unpickler (formats/pickle.hpp), and each tensor is copied out of its storage entry data/<key>,
// honouring its offset and strides, with float16/bfloat16/float64 converted to float32. The
// state dict may also sit under "state_dict" or "model" of a checkpoint dict; a "module."
// prefix (DataParallel) is dropped. Every size is checked against what the archive holds.
#pragma once
#include <string>

#include "formats/safetensors.hpp"

namespace alexnet {

bool is_zip(const std::string& bytes);
// The tensors of a torch.save state dict (no metadata). UserErrors name `name`.
SafetensorsFile parse_torch_file(const std::string& bytes, const std::string& name);

}  // namespace alexnet
