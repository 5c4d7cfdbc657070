// The one list of layers that every part walks: an architecture's table (model/arch.hpp)
// expanded once, layer by layer, with the names its tensors have in weight files and the
// shapes it takes and gives. Network builds its layers from it; the parameters' shapes, the
// ONNX export and import, the Caffe reader and `alexnet arch --json` read it. Adding a layer
// kind: its files in layers/, a LayerKind here and its case in layer_plan(), one case in
// each walker (docs/design.md).
#pragma once
#include <string>
#include <vector>

#include "kernels/lrn_params.hpp"
#include "model/arch.hpp"
#include "tensor/tensor.hpp"

namespace alexnet {

enum class LayerKind { conv, lrn, max_pool, flatten, dropout, linear };
const char* kind_name(LayerKind kind);  // "conv", "lrn", "max_pool", ...

struct LayerSpec {
  LayerKind kind = LayerKind::conv;
  std::string name;     // conv1, norm1, pool1, flatten, drop6, fc6: ours, Caffe's, the ONNX node's
  std::string tensors;  // conv, linear: their tensors' prefix in weight files ("conv1" in ours and
                        // ONNX, "features.0" in torchvision's): <tensors>.weight, <tensors>.bias
  dims in, out;         // per image: [C, H, W], or [F] from flatten on (a linear's F is 0 when
                        // the number of classes is not known)
  int kernel = 0, stride = 1, pad = 0, groups = 1;  // conv; max_pool: kernel and stride
  bool relu = false;      // conv, linear: a ReLU follows (fused into the layer)
  float paper_bias = 0;   // conv, linear: the bias the paper initialises it with
  LrnParams lrn;          // lrn
  float dropout = 0;      // dropout: the probability of zeroing an activation (training only)

  bool has_params() const { return kind == LayerKind::conv || kind == LayerKind::linear; }
  std::string weight() const { return tensors + ".weight"; }
  std::string bias() const { return tensors + ".bias"; }
  dims weight_shape() const;  // conv [out, in/groups, k, k]; linear [out, in]
  dims bias_shape() const { return {out[0]}; }
};

// classes: fc8's width; 0 when it is not known yet (an ONNX graph being matched).
std::vector<LayerSpec> layer_plan(const ArchSpec& arch, int classes);

}  // namespace alexnet
