// ONNX: the protobuf, the checker and the graph matched onto an architecture.
#include "formats/onnx_import.hpp"
#include "fuzz_target.hpp"

ALEXNET_FUZZ_TARGET(alexnet::import_onnx(bytes, "fuzz"))
