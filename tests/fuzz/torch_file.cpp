// PyTorch .pth: the zip (libzip), the restricted unpickler, storages and views.
#include "formats/torch_file.hpp"
#include "fuzz_target.hpp"

ALEXNET_FUZZ_TARGET(alexnet::parse_torch_file(bytes, "fuzz"))
