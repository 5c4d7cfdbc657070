#include "formats/onnx_export.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <set>

#include "kernels/quant.hpp"
#include "model/layer_plan.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& g) : g_(g) {}

  // A node reading the current value (and extra inputs); its output becomes the current value.
  onnx::NodeProto& node(const std::string& op, const std::string& name, std::vector<std::string> extra = {}) {
    onnx::NodeProto& n = *g_.add_node();
    n.set_op_type(op);
    n.set_name(name);
    n.add_input(current_);
    for (const auto& e : extra) n.add_input(e);
    current_ = name + "_out";
    n.add_output(current_);
    return n;
  }
  void initializer(const std::string& name, const Param& p) {
    initializer(name, onnx::TensorProto::FLOAT, p.shape, p.value, sizeof(float) * p.size());
  }
  template <class T>
  void initializer(const std::string& name, int type, const dims& shape, const std::vector<T>& v) {
    initializer(name, type, shape, v.data(), sizeof(T) * v.size());
  }
  // A node of `inputs` that leaves the current value as it is; its output is `output`.
  onnx::NodeProto& side_node(const std::string& op, const std::string& name, std::vector<std::string> inputs,
                             const std::string& output) {
    onnx::NodeProto& n = *g_.add_node();
    n.set_op_type(op);
    n.set_name(name);
    for (const auto& i : inputs) n.add_input(i);
    n.add_output(output);
    return n;
  }
  bool has(const std::string& initializer) const { return names_.count(initializer) > 0; }
  void set_current(const std::string& v) { current_ = v; }
  const std::string& current() const { return current_; }

 private:
  void initializer(const std::string& name, int type, const dims& shape, const void* data, size_t bytes) {
    onnx::TensorProto& t = *g_.add_initializer();
    names_.insert(name);
    t.set_name(name);
    t.set_data_type(type);
    for (int64_t d : shape) t.add_dims(d);
    t.set_raw_data(std::string(static_cast<const char*>(data), bytes));
  }

  onnx::GraphProto& g_;
  std::string current_;
  std::set<std::string> names_;
};

void ints(onnx::NodeProto& n, const std::string& key, std::vector<int64_t> v) {
  auto& a = *n.add_attribute();
  a.set_name(key);
  a.set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a.add_ints(x);
}
void set_int(onnx::NodeProto& n, const std::string& key, int64_t v) {
  auto& a = *n.add_attribute();
  a.set_name(key);
  a.set_type(onnx::AttributeProto::INT);
  a.set_i(v);
}
void set_float(onnx::NodeProto& n, const std::string& key, float v) {
  auto& a = *n.add_attribute();
  a.set_name(key);
  a.set_type(onnx::AttributeProto::FLOAT);
  a.set_f(v);
}

void value_info(onnx::ValueInfoProto& v, const std::string& name, std::vector<int64_t> dims) {
  v.set_name(name);
  auto& t = *v.mutable_type()->mutable_tensor_type();
  t.set_elem_type(onnx::TensorProto::FLOAT);
  auto& shape = *t.mutable_shape();
  shape.add_dim()->set_dim_param("N");  // the batch: any size
  for (int64_t d : dims) shape.add_dim()->set_dim_value(d);
}

// The model's header: IR version, opset 13, and the model's information as metadata.
void set_header(onnx::ModelProto& model, const ModelInfo& info) {
  model.set_ir_version(7);
  model.set_producer_name("alexnet");
  model.set_model_version(1);
  auto& opset = *model.add_opset_import();
  opset.set_domain("");
  opset.set_version(13);
  std::map<std::string, std::string> md;
  put_model_info(info, md);
  for (const auto& [k, v] : md) {
    auto& p = *model.add_metadata_props();
    p.set_key(k);
    p.set_value(v);
  }
}

// An int8 layer's input, quantized where the network's int8 kernels quantize it: the layer's
// scale and zero point (kernels/quant.hpp) in a QuantizeLinear -> DequantizeLinear pair.
void quantize_current(GraphBuilder& b, const LayerSpec& l, const LayerQuant& q, const std::string& where) {
  const std::string scale = l.tensors + ".input_scale", zero = l.tensors + ".input_zero_point";
  if (!b.has(scale)) {  // the first pair for this layer holds its tensors
    b.initializer(scale, onnx::TensorProto::FLOAT, {}, std::vector<float>{q.in_scale});
    b.initializer(zero, onnx::TensorProto::UINT8, {}, std::vector<uint8_t>{static_cast<uint8_t>(q.in_zero)});
  }
  b.node("QuantizeLinear", where + "_quantize", {scale, zero});
  b.node("DequantizeLinear", where + "_dequantize", {scale, zero});
}

// An int8 layer's weight and bias as DequantizeLinear of int8 and int32 initializers, one scale
// per output channel (axis 0): w_scale for the weight, in_scale * w_scale for the bias, which
// is the int32 the kernels add to their sums. Returns the two dequantized values' names.
std::vector<std::string> dequantized_params(GraphBuilder& b, Network& net, const LayerSpec& l, const LayerQuant& q) {
  const Param& w = *net.find_param(l.weight());
  const Param& bias = *net.find_param(l.bias());
  const int64_t out = l.out[0], per_out = w.size() / out;
  std::vector<int8_t> ints(w.size());
  quantize_weights(w.value, out, per_out, q.w_scale, ints.data());
  std::vector<float> bias_scale(out);
  std::vector<int32_t> bias_ints(out);
  for (int64_t o = 0; o < out; ++o) {
    bias_scale[o] = q.in_scale * q.w_scale[o];
    bias_ints[o] = product_bias_units(bias.value[o], q, o);
  }
  const std::string t = l.tensors;
  b.initializer(l.weight(), onnx::TensorProto::INT8, w.shape, ints);
  b.initializer(t + ".weight_scale", onnx::TensorProto::FLOAT, {out}, q.w_scale);
  b.initializer(t + ".weight_zero_point", onnx::TensorProto::INT8, {out}, std::vector<int8_t>(out, 0));
  b.initializer(l.bias(), onnx::TensorProto::INT32, {out}, bias_ints);
  b.initializer(t + ".bias_scale", onnx::TensorProto::FLOAT, {out}, bias_scale);
  b.initializer(t + ".bias_zero_point", onnx::TensorProto::INT32, {out}, std::vector<int32_t>(out, 0));
  std::vector<std::string> values;
  for (const std::string& p : {std::string("weight"), std::string("bias")}) {
    const std::string value = t + "." + p + "_dequantized";
    set_int(b.side_node("DequantizeLinear", value, {t + "." + p, t + "." + p + "_scale", t + "." + p + "_zero_point"}, value),
            "axis", 0);
    values.push_back(value);
  }
  return values;
}

// One entry of the plan as its node (none for dropout), reading the current value and params.
void add_node(GraphBuilder& b, const LayerSpec& l, const std::vector<std::string>& params) {
  switch (l.kind) {
    case LayerKind::conv: {
      auto& conv = b.node("Conv", l.name, params);
      ints(conv, "kernel_shape", {l.kernel, l.kernel});
      ints(conv, "strides", {l.stride, l.stride});
      ints(conv, "pads", {l.pad, l.pad, l.pad, l.pad});
      set_int(conv, "group", l.groups);
      break;
    }
    case LayerKind::lrn: {
      auto& lrn = b.node("LRN", l.name);
      set_int(lrn, "size", l.lrn.size);
      set_float(lrn, "alpha", l.lrn.alpha);
      set_float(lrn, "beta", l.lrn.beta);
      set_float(lrn, "bias", l.lrn.k);
      break;
    }
    case LayerKind::max_pool: {
      auto& pool = b.node("MaxPool", l.name);
      ints(pool, "kernel_shape", {l.kernel, l.kernel});
      ints(pool, "strides", {l.stride, l.stride});
      break;
    }
    case LayerKind::flatten: set_int(b.node("Flatten", l.name), "axis", 1); break;
    case LayerKind::dropout: break;
    case LayerKind::linear: set_int(b.node("Gemm", l.name, params), "transB", 1); break;
  }
}

// Where each int8 layer's input is quantized: after the last entry before it that does not
// commute with rounding, and again after each one that does (max pooling, flatten; dropout
// has no node), so that the graph computes exactly what the network does and ONNX Runtime
// finds its patterns (DQ -> Conv -> Relu -> Q, DQ -> MaxPool -> Q). quantize_after[i] is the
// layer whose input entry i's output becomes; index plan.size() stands for the graph's input.
std::vector<const LayerSpec*> quantization_points(const std::vector<LayerSpec>& plan, const Quantization& quant) {
  std::vector<const LayerSpec*> after(plan.size() + 1, nullptr);
  for (size_t i = 0; i < plan.size(); ++i) {
    if (!quant.count(plan[i].name)) continue;
    size_t j = i;
    while (j > 0 && (plan[j - 1].kind == LayerKind::max_pool || plan[j - 1].kind == LayerKind::flatten ||
                     plan[j - 1].kind == LayerKind::dropout))
      --j;
    for (size_t k = j; k < i; ++k)
      if (plan[k].kind != LayerKind::dropout) after[k] = &plan[i];
    after[j == 0 ? plan.size() : j - 1] = &plan[i];
  }
  return after;
}

// The layer plan as nodes: Conv, Relu, LRN, MaxPool ... Flatten, Gemm, Relu ... (dropout is
// the identity at inference and has none), with the int8 layers' quantization as QDQ pairs.
void add_layers(GraphBuilder& b, Network& net) {
  auto param = [&](const std::string& file) {
    Param* p = net.find_param(file);
    if (!p) internal_error("export: the network has no tensor '" + file + "'");
    b.initializer(file, *p);
    return file;
  };
  const std::vector<LayerSpec> plan = layer_plan(net.arch(), net.classes());
  const Quantization& quant = net.quantization();
  const std::vector<const LayerSpec*> quantize_after = quantization_points(plan, quant);
  auto requantize = [&](size_t i, const std::string& where) {
    if (const LayerSpec* next = quantize_after[i]) quantize_current(b, *next, *quant.at(next->name), where);
  };
  requantize(plan.size(), "input");
  for (size_t i = 0; i < plan.size(); ++i) {
    const LayerSpec& l = plan[i];
    std::vector<std::string> params;
    if (l.has_params())
      params = quant.count(l.name) ? dequantized_params(b, net, l, *quant.at(l.name))
                                   : std::vector<std::string>{param(l.weight()), param(l.bias())};
    add_node(b, l, params);
    if (l.relu) b.node("Relu", l.name + "_relu");
    requantize(i, l.name);
  }
}

}  // namespace

std::string export_onnx(Network& net, const ModelInfo& info) {
  const ArchSpec& arch = net.arch();
  onnx::ModelProto model;
  set_header(model, info);
  onnx::GraphProto& g = *model.mutable_graph();
  g.set_name(arch.name);
  value_info(*g.add_input(), "input", {3, arch.crop, arch.crop});
  GraphBuilder b(g);
  b.set_current("input");
  add_layers(b, net);
  // The last node's output is the graph's: rename it "logits".
  g.mutable_node(g.node_size() - 1)->set_output(0, "logits");
  value_info(*g.add_output(), "logits", {net.classes()});
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    internal_error(std::string("export: the ONNX checker refuses the graph written: ") + e.what());
  }
  return model.SerializeAsString();
}

void write_onnx(Network& net, const ModelInfo& info, const std::string& path) {
  write_file_atomic(path, export_onnx(net, info));
}

}  // namespace alexnet
