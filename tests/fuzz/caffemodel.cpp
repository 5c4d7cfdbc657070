// Caffe: a NetParameter in either layer form, its blobs mapped onto an architecture.
#include "formats/caffe_model.hpp"
#include "fuzz_target.hpp"

ALEXNET_FUZZ_TARGET(alexnet::import_caffemodel(bytes, "fuzz"))
