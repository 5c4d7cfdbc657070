// safetensors: the header's JSON, its entries against the file's size, the tensors' bytes.
#include "formats/safetensors.hpp"
#include "fuzz_target.hpp"

ALEXNET_FUZZ_TARGET(alexnet::parse_safetensors(bytes, "fuzz"))
