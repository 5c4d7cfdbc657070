// The AlexNets as tables, one row per layer, to be read against the paper (docs/spec.md §1);
// model/layer_plan.hpp expands a table into the list of layers every part walks.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace alexnet {

// A convolution row: the conv, its ReLU (always), then optionally LRN and max pooling (the
// pooling's size and stride are the architecture's: 3x3, stride 2, overlapping, in every one).
struct ConvRow {
  const char* name;  // our name: conv1..conv5
  const char* file;  // tensor prefix in weight files (`conv1`, or torchvision's `features.0`)
  int out, kernel, stride, pad, groups;
  bool lrn, pool;
  float paper_bias;  // the paper's bias init: 1 for conv2/4/5 and fc6/7, else 0
};

// A fully connected row: dropout on its input (training only), the product, then ReLU.
struct FcRow {
  const char* name;
  const char* file;
  int out;  // 0 = the number of classes
  bool relu;
  float dropout_in;
  float paper_bias;
};

enum class InitKind { paper, kaiming };
InitKind init_from_name(const std::string& name);  // "paper" | "kaiming"; a UserError for --init otherwise
const char* name_of(InitKind kind);

// Per-channel input normalisation on the 0-255 scale: x' = (x - mean) / std.
struct Normalization {
  std::array<float, 3> mean{0, 0, 0};
  std::array<float, 3> std{1, 1, 1};
};

struct ArchSpec {
  std::string name;
  int resize;  // S: the shorter side is scaled to S and the centre S x S kept
  int crop;    // C: the network's input is C x C
  std::vector<ConvRow> convs;
  std::vector<FcRow> fcs;
  InitKind default_init;
  Normalization default_norm;  // used when weights carry none (docs/spec.md §2), in input channel order
  bool default_norm_from_data;  // alexnet-mini: the data set's own statistics
  float lrn_k = 2.f;            // LRN's bias k: 2 in the paper, 1 in Caffe's bvlc_alexnet
  bool bgr = false;             // input channels B, G, R (Caffe) instead of R, G, B
  bool mean_image = false;      // with --stats: subtract the per-pixel mean image (the paper)
  int pool_size = 3, pool_stride = 2;  // the paper's overlapping pooling (s = 2 < z = 3)
};

const ArchSpec& arch_by_name(const std::string& name);  // UserError listing the valid names
std::vector<std::string> arch_names();
std::string arch_names_joined(const std::string& separator);  // "alexnet | alexnet-torchvision | ..."

}  // namespace alexnet
