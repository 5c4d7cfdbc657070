#include "formats/onnx_export.hpp"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

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
    onnx::TensorProto& t = *g_.add_initializer();
    t.set_name(name);
    t.set_data_type(onnx::TensorProto::FLOAT);
    for (int64_t d : p.shape) t.add_dims(d);
    t.set_raw_data(std::string(reinterpret_cast<const char*>(p.value), sizeof(float) * p.size()));
  }
  void set_current(const std::string& v) { current_ = v; }
  const std::string& current() const { return current_; }

 private:
  onnx::GraphProto& g_;
  std::string current_;
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

// The layer plan as nodes: Conv, Relu, LRN, MaxPool ... Flatten, Gemm, Relu ... (dropout is
// the identity at inference and has none).
void add_layers(GraphBuilder& b, Network& net) {
  auto param = [&](const std::string& file) {
    Param* p = net.find_param(file);
    if (!p) internal_error("export: the network has no tensor '" + file + "'");
    b.initializer(file, *p);
    return file;
  };
  for (const LayerSpec& l : layer_plan(net.arch(), net.classes())) {
    switch (l.kind) {
      case LayerKind::conv: {
        auto& conv = b.node("Conv", l.name, {param(l.weight()), param(l.bias())});
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
      case LayerKind::linear: set_int(b.node("Gemm", l.name, {param(l.weight()), param(l.bias())}), "transB", 1); break;
    }
    if (l.relu) b.node("Relu", l.name + "_relu");
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
