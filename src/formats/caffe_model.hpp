// Caffe's files, read through the part of Caffe's schema they use (formats/caffe_net.proto):
// a trained .caffemodel (a NetParameter whose layers carry their weight blobs, in the current
// `layer` form or the 2014 model zoo's `layers`), its deploy.prototxt (the same message in
// protobuf's text format), and a mean image .binaryproto (a BlobProto, 3 x S x S, B, G, R).
//
// A .caffemodel maps onto an architecture by its layers' names (conv1 ... fc8), its weights'
// shapes and its LRN's k: Caffe's bvlc_alexnet (k = 1) is `alexnet-caffe`, with k = 2 it is the
// paper's `alexnet`. Caffe lays grouped convolutions ([out, in/groups, k, k]) and fc weights
// ([out, in], inputs flattened C, H, W) as PyTorch does, so the blobs are taken as they are.
#pragma once
#include <string>
#include <vector>

#include "formats/safetensors.hpp"
#include "model/arch.hpp"

namespace alexnet {

// Files larger than this are refused before parsing (bvlc_alexnet.caffemodel: 233 MB).
constexpr size_t kMaxCaffeModelBytes = size_t{1} << 30;

// Whether the bytes open as a NetParameter does (its name, its V1 `layers` or its `layer`).
bool looks_like_caffemodel(const std::string& bytes);
// The weights under the names of the architecture the file matches, "arch" in the metadata.
// A file that fits none is a UserError naming the layer or blob at fault.
SafetensorsFile import_caffemodel(const std::string& bytes, const std::string& path);
// Checks a deploy.prototxt (text format) against an architecture: each convolution, LRN,
// pooling and inner product of the architecture must be there with its numbers; a layer that
// does not fit is a UserError naming it.
void check_caffe_prototxt(const std::string& path, const ArchSpec& arch);

struct MeanImage {
  int size = 0;             // S
  std::vector<float> rgb;   // S x S x 3, R, G, B, 0-255 (ModelInfo::mean_image's form)
};
MeanImage read_caffe_mean(const std::string& path);

}  // namespace alexnet
