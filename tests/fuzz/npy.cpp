// .npy: magic, version, the header's Python dict, the data's length.
#include "formats/npy.hpp"
#include "fuzz_target.hpp"

ALEXNET_FUZZ_TARGET(alexnet::parse_npy(bytes, "fuzz"))
