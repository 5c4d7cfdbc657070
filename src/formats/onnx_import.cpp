#include "formats/onnx_import.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <map>

#include "formats/onnx_tensors.hpp"
#include "model/arch.hpp"
#include "model/layer_plan.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

using onnx::NodeProto;
using onnx::TensorProto;

// [rows, cols] -> [cols, rows]: ONNX's [in, out] weights to our [out, in].
NamedTensor transposed(const NamedTensor& m) {
  const int64_t rows = m.shape[0], cols = m.shape[1];
  NamedTensor t{{cols, rows}, std::vector<float>(m.data.size()), m.dtype};
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) t.data[j * rows + i] = m.data[i * cols + j];
  return t;
}

const onnx::AttributeProto* attr(const NodeProto& n, const std::string& key) {
  for (const auto& a : n.attribute())
    if (a.name() == key) return &a;
  return nullptr;
}
std::vector<int64_t> ints(const NodeProto& n, const std::string& key, std::vector<int64_t> fallback) {
  const auto* a = attr(n, key);
  return a ? std::vector<int64_t>(a->ints().begin(), a->ints().end()) : fallback;
}
int64_t int_attr(const NodeProto& n, const std::string& key, int64_t fallback) {
  const auto* a = attr(n, key);
  return a ? a->i() : fallback;
}
float float_attr(const NodeProto& n, const std::string& key, float fallback) {
  const auto* a = attr(n, key);
  return a ? a->f() : fallback;
}

// Walks the graph's compute nodes in order and checks each against what an architecture wants.
class Matcher {
 public:
  // QuantizeLinear and DequantizeLinear are read where a layer's input or parameters come from
  // them (GraphTensors); the walk passes over them.
  Matcher(const onnx::GraphProto& g, const GraphTensors& c, const ArchSpec& arch) : consts_(c), arch_(arch) {
    for (const NodeProto& n : g.node())
      if (n.op_type() != "Constant" && n.op_type() != "Shape" && n.op_type() != "Gather" &&
          n.op_type() != "Unsqueeze" && n.op_type() != "Concat" && n.op_type() != "Identity" &&
          n.op_type() != "QuantizeLinear" && n.op_type() != "DequantizeLinear")
        nodes_.push_back(&n);
  }
  // The tensors under our names, or an explanation of the first node that did not fit.
  bool match(std::map<std::string, NamedTensor>& out, std::string& why);
  size_t reached() const { return pos_; }

 private:
  const NodeProto* next(const char* op) {
    if (pos_ < nodes_.size() && nodes_[pos_]->op_type() == op) return last_ = nodes_[pos_++];
    return nullptr;
  }
  // The ReLU after a layer: a Relu node, or a QuantizeLinear that clamps at zero instead.
  bool relu() { return next("Relu") || (last_ && last_->output_size() == 1 && consts_.clamped_at_zero(last_->output(0))); }
  std::string here() const {
    if (pos_ >= nodes_.size()) return "the graph ends";
    const NodeProto& n = *nodes_[pos_];
    return "node " + std::to_string(pos_) + " (" + printable(n.op_type()) + (n.name().empty() ? "" : " '" + printable(n.name()) + "'") + ")";
  }
  // One per layer kind: the nodes of that layer, its tensors taken into out.
  bool conv(const LayerSpec& l, std::map<std::string, NamedTensor>& out, std::string& why);
  bool lrn(const LayerSpec& l, std::string& why);
  bool max_pool(const LayerSpec& l, std::string& why);
  bool flatten(std::string& why);
  bool linear(const LayerSpec& l, std::map<std::string, NamedTensor>& out, std::string& why);
  void take(const LayerSpec& l, const NodeProto& node, GraphWeight w, NamedTensor b, std::map<std::string, NamedTensor>& out);

  const GraphTensors& consts_;
  const ArchSpec& arch_;
  std::vector<const NodeProto*> nodes_;
  size_t pos_ = 0;
  const NodeProto* last_ = nullptr;
};

// A layer's parameters into out under our names: an int8 layer (its input and its weights
// through DequantizeLinear) in the form of our int8 files (formats/quantized_weights.hpp);
// int8 weights on an f32 input dequantized.
void Matcher::take(const LayerSpec& l, const NodeProto& node, GraphWeight w, NamedTensor b,
                   std::map<std::string, NamedTensor>& out) {
  std::shared_ptr<LayerQuant> q = w.scale.empty() ? nullptr : consts_.input_quant(node.input(0));
  if (q) {
    out[l.tensors + ".weight_scale"] = {{l.out[0] ? l.out[0] : w.values.shape[0]}, w.scale, "F32"};
    out[l.tensors + ".input_scale"] = {{1}, {q->in_scale}, "F32"};
    out[l.tensors + ".input_zero_point"] = {{1}, {static_cast<float>(q->in_zero)}, "U8"};
  } else if (!w.scale.empty()) {
    const size_t per_out = w.values.data.size() / w.scale.size();
    for (size_t i = 0; i < w.values.data.size(); ++i) w.values.data[i] *= w.scale[i / per_out];
    w.values.dtype = "F32";
  }
  out[l.weight()] = std::move(w.values);
  out[l.bias()] = std::move(b);
}

bool Matcher::conv(const LayerSpec& l, std::map<std::string, NamedTensor>& out, std::string& why) {
  const std::string where = here();
  const NodeProto* conv = next("Conv");
  if (!conv) return why = where + ": expected the Conv of " + l.name, false;
  const std::vector<int64_t> s{l.stride, l.stride}, p{l.pad, l.pad, l.pad, l.pad};
  if (conv->input_size() < 3 || !consts_.has(conv->input(1)) || !consts_.has(conv->input(2)))
    return why = where + ": " + l.name + " needs constant weights and a bias", false;
  GraphWeight w = consts_.weight(conv->input(1), 0);
  NamedTensor b = consts_.get(conv->input(2));
  const dims want = l.weight_shape();
  if (w.values.shape != want || ints(*conv, "strides", {1, 1}) != s || ints(*conv, "pads", {0, 0, 0, 0}) != p ||
      int_attr(*conv, "group", 1) != l.groups || b.shape != l.bias_shape())
    return why = where + ": not " + arch_.name + "'s " + l.name + " (weights " + shape_str(w.values.shape) + ", want " +
                 shape_str(want) + ", stride " + std::to_string(l.stride) + ", pad " + std::to_string(l.pad) +
                 ", groups " + std::to_string(l.groups) + ")",
           false;
  take(l, *conv, std::move(w), std::move(b), out);
  return true;
}

bool Matcher::lrn(const LayerSpec& l, std::string& why) {
  const std::string at = here();
  const NodeProto* n = next("LRN");
  if (!n) return why = at + ": expected " + l.name + " (the ONNX LRN op)", false;
  const float bias = float_attr(*n, "bias", 1.f);
  if (int_attr(*n, "size", 0) != l.lrn.size || std::abs(float_attr(*n, "alpha", 1e-4f) - l.lrn.alpha) > 1e-9f ||
      std::abs(float_attr(*n, "beta", 0.75f) - l.lrn.beta) > 1e-6f || std::abs(bias - l.lrn.k) > 1e-6f)
    return why = at + ": LRN (size " + std::to_string(int_attr(*n, "size", 0)) + ", bias " + std::to_string(bias) +
                 ") is not " + arch_.name + "'s (size 5, alpha 1e-4, beta 0.75, bias " + std::to_string(l.lrn.k) + ")",
           false;
  return true;
}

bool Matcher::max_pool(const LayerSpec& l, std::string& why) {
  const std::string at = here();
  const NodeProto* pool = next("MaxPool");
  const std::vector<int64_t> k{l.kernel, l.kernel}, s{l.stride, l.stride};
  if (!pool || ints(*pool, "kernel_shape", {}) != k || ints(*pool, "strides", {1, 1}) != s ||
      ints(*pool, "pads", {0, 0, 0, 0}) != std::vector<int64_t>{0, 0, 0, 0})
    return why = at + ": expected " + l.name + ", a " + std::to_string(l.kernel) + "x" + std::to_string(l.kernel) +
                 " stride-" + std::to_string(l.stride) + " MaxPool",
           false;
  return true;
}

bool Matcher::flatten(std::string& why) {
  // torchvision's AdaptiveAvgPool2d((6, 6)) is exported as an identity AveragePool at 224x224.
  if (const NodeProto* avg = next("AveragePool"))
    if (ints(*avg, "kernel_shape", {}) != std::vector<int64_t>{1, 1})
      return why = "an AveragePool that is not the identity (the input is not " + std::to_string(arch_.crop) + "x" +
                   std::to_string(arch_.crop) + "?)",
             false;
  if (!next("Flatten") && !next("Reshape")) return why = here() + ": expected Flatten (or Reshape) after pool5", false;
  return true;
}

bool Matcher::linear(const LayerSpec& l, std::map<std::string, NamedTensor>& out, std::string& why) {
  while (next("Dropout")) {
  }
  const std::string where = here();
  GraphWeight w;
  NamedTensor b;
  const NodeProto* node = nullptr;
  if (const NodeProto* gemm = next("Gemm")) {
    if (gemm->input_size() < 3 || !consts_.has(gemm->input(1)) || !consts_.has(gemm->input(2)) ||
        int_attr(*gemm, "transA", 0) != 0 || float_attr(*gemm, "alpha", 1) != 1 || float_attr(*gemm, "beta", 1) != 1)
      return why = where + ": a Gemm that is not x * W^T + b with constant W and b", false;
    const bool given_in_out = int_attr(*gemm, "transB", 0) == 0;  // B is [in, out]
    w = consts_.weight(gemm->input(1), given_in_out ? 1 : 0);
    b = consts_.get(gemm->input(2));
    if (given_in_out && w.values.shape.size() == 2) w.values = transposed(w.values);
    node = gemm;
  } else if (const NodeProto* mm = next("MatMul")) {
    const NodeProto* add = next("Add");
    if (!add || !consts_.has(mm->input(1)) || add->input_size() != 2)
      return why = where + ": a MatMul not followed by a bias Add", false;
    w = consts_.weight(mm->input(1), 1);
    if (w.values.shape.size() != 2) return why = where + ": MatMul weights are not a matrix", false;
    w.values = transposed(w.values);  // MatMul's B is [in, out]
    const std::string& bias = consts_.has(add->input(1)) ? add->input(1) : add->input(0);
    b = consts_.get(bias);
    node = mm;
  } else {
    return why = where + ": expected the Gemm (or MatMul + Add) of " + l.name, false;
  }
  const dims& shape = w.values.shape;
  const int64_t width = l.out[0];  // 0: fc8, as wide as the classes the graph has
  if (shape.size() != 2 || b.shape != std::vector<int64_t>{shape[0]} || (width != 0 && shape[0] != width))
    return why = where + ": not " + arch_.name + "'s " + l.name + " (weights " + shape_str(shape) + ")", false;
  take(l, *node, std::move(w), std::move(b), out);
  return true;
}

bool Matcher::match(std::map<std::string, NamedTensor>& out, std::string& why) {
  const std::vector<LayerSpec> plan = layer_plan(arch_, 0);
  for (const LayerSpec& l : plan) {
    bool ok = true;
    switch (l.kind) {
      case LayerKind::conv: ok = conv(l, out, why); break;
      case LayerKind::lrn: ok = lrn(l, why); break;
      case LayerKind::max_pool: ok = max_pool(l, why); break;
      case LayerKind::flatten: ok = flatten(why); break;
      case LayerKind::dropout: break;  // Dropout nodes, if any, are skipped before each Gemm
      case LayerKind::linear: ok = linear(l, out, why); break;
    }
    if (!ok) return false;
    if (l.relu && !relu()) return why = here() + ": expected the ReLU after " + l.name, false;
  }
  next("Softmax");
  if (pos_ != nodes_.size()) return why = here() + ": more nodes after " + plan.back().name, false;
  return true;
}

}  // namespace

SafetensorsFile import_onnx(const std::string& bytes, const std::string& name) {
  onnx::ModelProto model;
  if (bytes.size() > (size_t{1} << 31) - 1 || !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    fail(name + ": not a readable ONNX model (truncated or not protobuf)");
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    std::string what = e.what();
    if (auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
    fail(name + ": the ONNX checker refuses it: " + printable(what, 200));
  }
  const GraphTensors consts(model.graph(), name);
  SafetensorsFile out;
  for (const auto& p : model.metadata_props()) out.metadata[p.key()] = p.value();
  // Try every architecture (the one the metadata names first); keep the furthest failure.
  std::vector<std::string> order = arch_names();
  if (auto it = out.metadata.find("arch"); it != out.metadata.end())
    std::stable_partition(order.begin(), order.end(), [&](const std::string& a) { return a == it->second; });
  std::string best_why;
  size_t best = 0;
  for (const std::string& a : order) {
    Matcher m(model.graph(), consts, arch_by_name(a));
    std::string why;
    if (m.match(out.tensors, why)) {
      out.metadata["arch"] = a;
      return out;
    }
    out.tensors.clear();
    if (m.reached() >= best) best = m.reached(), best_why = why + " [as " + a + "]";
  }
  fail(name + ": not an AlexNet graph we know: " + best_why);
}

}  // namespace alexnet
