#include "model/layer_plan.hpp"

namespace alexnet {

const char* kind_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::conv: return "conv";
    case LayerKind::lrn: return "lrn";
    case LayerKind::max_pool: return "max_pool";
    case LayerKind::flatten: return "flatten";
    case LayerKind::dropout: return "dropout";
    case LayerKind::linear: return "linear";
  }
  return "?";
}

dims LayerSpec::weight_shape() const {
  if (kind == LayerKind::conv) return {out[0], in[0] / groups, kernel, kernel};
  return {out[0], in[0]};
}

namespace {

// Each row adds its layers to the plan, each reading the shape the last one gave.
class PlanBuilder {
 public:
  explicit PlanBuilder(dims input) : shape_(std::move(input)) {}
  LayerSpec& add(LayerKind kind, std::string name, dims out) {
    LayerSpec s;
    s.kind = kind;
    s.name = std::move(name);
    s.in = shape_;
    s.out = out;
    shape_ = std::move(out);
    plan_.push_back(std::move(s));
    return plan_.back();
  }
  const dims& shape() const { return shape_; }
  std::vector<LayerSpec> take() { return std::move(plan_); }

 private:
  dims shape_;
  std::vector<LayerSpec> plan_;
};

int64_t after_window(int64_t size, int kernel, int stride, int pad) { return (size + 2 * pad - kernel) / stride + 1; }

// "conv2" -> "2": the row's number, which names its norm, pool and dropout.
std::string row_number(const std::string& name) { return name.substr(name.find_first_of("0123456789")); }

}  // namespace

std::vector<LayerSpec> layer_plan(const ArchSpec& arch, int classes) {
  PlanBuilder b({3, arch.crop, arch.crop});
  for (const ConvRow& r : arch.convs) {
    const int64_t size = after_window(b.shape()[1], r.kernel, r.stride, r.pad);
    LayerSpec& conv = b.add(LayerKind::conv, r.name, {r.out, size, size});
    conv.tensors = r.file;
    conv.kernel = r.kernel, conv.stride = r.stride, conv.pad = r.pad, conv.groups = r.groups;
    conv.relu = true;
    conv.paper_bias = r.paper_bias;
    const std::string n = row_number(r.name);
    if (r.lrn) b.add(LayerKind::lrn, "norm" + n, b.shape()).lrn.k = arch.lrn_k;
    if (r.pool) {
      const int64_t pooled = after_window(size, arch.pool_size, arch.pool_stride, 0);
      LayerSpec& pool = b.add(LayerKind::max_pool, "pool" + n, {r.out, pooled, pooled});
      pool.kernel = arch.pool_size, pool.stride = arch.pool_stride;
    }
  }
  const dims& s = b.shape();
  b.add(LayerKind::flatten, "flatten", {s[0] * s[1] * s[2]});
  for (const FcRow& r : arch.fcs) {
    const std::string n = row_number(r.name);
    if (r.dropout_in > 0) b.add(LayerKind::dropout, "drop" + n, b.shape()).dropout = r.dropout_in;
    LayerSpec& fc = b.add(LayerKind::linear, r.name, {r.out == 0 ? classes : r.out});
    fc.tensors = r.file;
    fc.relu = r.relu;
    fc.paper_bias = r.paper_bias;
  }
  return b.take();
}

}  // namespace alexnet
