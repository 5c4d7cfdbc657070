#include "formats/quantized_weights.hpp"

#include <cmath>

#include "model/layer_plan.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

const char* const kSuffixes[] = {".weight_scale", ".input_scale", ".input_zero_point"};

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

// The tensor `name` of f, with `dtype` and `shape`; null when absent.
const NamedTensor* get(const SafetensorsFile& f, const std::string& name, const std::string& dtype,
                       const std::vector<int64_t>& shape, const std::string& path) {
  auto it = f.tensors.find(name);
  if (it == f.tensors.end()) return nullptr;
  if (it->second.dtype != dtype) fail(path + ": tensor '" + name + "' is " + it->second.dtype + ", int8 weights need " + dtype);
  if (it->second.shape != shape)
    fail(path + ": tensor '" + name + "' has shape " + shape_str(it->second.shape) + ", expected " + shape_str(shape));
  return &it->second;
}

void check_scales(const NamedTensor& t, const std::string& name, const std::string& path) {
  for (float v : t.data)
    if (!std::isfinite(v) || !(v > 0) || v > 1e30f)
      fail(path + ": tensor '" + name + "' holds " + std::to_string(v) + ": a scale must be finite and positive");
}

// One layer's quantization, or null when its tensors are f32.
std::shared_ptr<LayerQuant> take_layer(const LayerSpec& l, SafetensorsFile& f, const std::string& path) {
  const std::string t = l.tensors;
  auto w = f.tensors.find(l.weight());
  const bool int8 = w != f.tensors.end() && w->second.dtype == "I8";
  const bool scaled = f.tensors.count(t + ".weight_scale") > 0;
  if (!int8 && !scaled) {
    for (const char* s : kSuffixes)
      if (f.tensors.count(t + s)) fail(path + ": tensor '" + t + s + "' belongs to int8 weights, but '" + l.weight() + "' is not I8");
    return nullptr;
  }
  const int64_t out = l.out[0];
  const NamedTensor* ws = get(f, t + ".weight_scale", "F32", {out}, path);
  const NamedTensor* is = get(f, t + ".input_scale", "F32", {1}, path);
  const NamedTensor* iz = get(f, t + ".input_zero_point", "U8", {1}, path);
  for (auto [tensor, suffix] : {std::pair{ws, kSuffixes[0]}, {is, kSuffixes[1]}, {iz, kSuffixes[2]}})
    if (!tensor) fail(path + ": int8 tensor '" + l.weight() + "' needs '" + t + suffix + "' too");
  if (!int8) fail(path + ": tensor '" + t + ".weight_scale' belongs to int8 weights, but '" + l.weight() + "' is not I8");
  check_scales(*ws, t + ".weight_scale", path);
  check_scales(*is, t + ".input_scale", path);
  auto q = std::make_shared<LayerQuant>();
  q->in_scale = is->data[0];
  q->in_zero = static_cast<int>(iz->data[0]);
  q->w_scale = ws->data;
  std::vector<float>& data = w->second.data;
  const size_t per_out = data.size() / out;
  for (size_t i = 0; i < data.size(); ++i) data[i] *= q->w_scale[i / per_out];
  w->second.dtype = "F32";  // dequantized now
  for (const char* s : kSuffixes) f.tensors.erase(t + s);
  return q;
}

}  // namespace

bool is_quantization_tensor(const std::string& name) {
  for (const char* s : kSuffixes)
    if (ends_with(name, s)) return true;
  return false;
}

bool is_quantized(const SafetensorsFile& f) {
  for (const auto& [name, t] : f.tensors)
    if (t.dtype == "I8" || is_quantization_tensor(name)) return true;
  return false;
}

Quantization take_quantization(const ArchSpec& arch, int classes, SafetensorsFile& f, const std::string& path) {
  Quantization q;
  for (const LayerSpec& l : layer_plan(arch, classes))
    if (l.has_params())
      if (auto lq = take_layer(l, f, path)) q[l.name] = lq;
  return q;
}

void put_quantization(const Network& net, SafetensorsFile& f) {
  if (net.quantization().empty()) return;
  for (const LayerSpec& l : layer_plan(net.arch(), net.classes())) {
    auto it = net.quantization().find(l.name);
    if (it == net.quantization().end()) continue;
    const LayerQuant& q = *it->second;
    NamedTensor& w = f.tensors.at(l.weight());
    const int64_t out = l.out[0];
    std::vector<int8_t> ints(w.data.size());
    quantize_weights(w.data.data(), out, static_cast<int64_t>(w.data.size()) / out, q.w_scale, ints.data());
    w.data.assign(ints.begin(), ints.end());
    w.dtype = "I8";
    f.tensors[l.tensors + ".weight_scale"] = {{out}, q.w_scale, "F32"};
    f.tensors[l.tensors + ".input_scale"] = {{1}, {q.in_scale}, "F32"};
    f.tensors[l.tensors + ".input_zero_point"] = {{1}, {static_cast<float>(q.in_zero)}, "U8"};
  }
  f.metadata["precision"] = "int8";
}

}  // namespace alexnet
