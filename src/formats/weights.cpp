#include "formats/weights.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "formats/quantized_weights.hpp"
#include "formats/weight_formats.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet {

using json = nlohmann::json;

void put_model_info(const ModelInfo& info, std::map<std::string, std::string>& md) {
  md["arch"] = info.arch;
  if (!info.class_names.empty()) md["class_names"] = json_text(json(info.class_names));
  if (info.norm) {
    md["mean"] = json(info.norm->mean).dump();
    md["std"] = json(info.norm->std).dump();
  }
}

ModelInfo get_model_info(const std::map<std::string, std::string>& md, const std::string& path) {
  ModelInfo info;
  if (auto it = md.find("arch"); it != md.end()) info.arch = it->second;
  try {
    if (auto it = md.find("class_names"); it != md.end())
      info.class_names = json::parse(it->second).get<std::vector<std::string>>();
    auto m = md.find("mean"), s = md.find("std");
    if (m != md.end() && s != md.end()) {
      Normalization n;
      n.mean = json::parse(m->second).get<std::array<float, 3>>();
      n.std = json::parse(s->second).get<std::array<float, 3>>();
      for (float v : n.std)
        if (!(v > 0)) fail(path + ": metadata 'std' must be positive");
      info.norm = n;
    }
  } catch (const json::exception&) {
    fail(path + ": metadata class_names/mean/std is not valid JSON of the expected form");
  }
  return info;
}

void export_params(Network& net, SafetensorsFile& file) {
  for (Param* p : net.params()) {
    NamedTensor t;
    t.shape.assign(p->shape.begin(), p->shape.end());
    t.data.assign(p->value, p->value + p->size());
    file.tensors[p->name] = std::move(t);
  }
}

namespace {
// Every parameter (`want`: names and shapes) in `file` with its shape, and nothing else but the
// extras under a '/' (a checkpoint's momenta, the mean image).
// The int8 layers' scales (formats/quantized_weights.hpp) are checked where they are read.
void check_shapes(const std::vector<std::pair<std::string, dims>>& want, const std::string& arch,
                  const SafetensorsFile& file, const std::string& path) {
  for (const auto& [name, shape] : want) {
    auto it = file.tensors.find(name);
    if (it == file.tensors.end()) fail(path + ": tensor '" + name + "' is missing (" + arch + " needs it)");
    if (it->second.shape != std::vector<int64_t>(shape.begin(), shape.end()))
      fail(path + ": tensor '" + name + "' has shape " + shape_str(it->second.shape) + ", " + arch + " needs " +
           shape_str(shape));
  }
  for (const auto& tensor : file.tensors) {
    const std::string& name = tensor.first;  // (clang cannot capture a structured binding)
    if (name.find('/') == std::string::npos && !is_quantization_tensor(name) &&
        std::none_of(want.begin(), want.end(), [&](const auto& w) { return w.first == name; }))
      fail(path + ": unknown tensor '" + printable(name) + "' (not a parameter of " + arch + ")");
  }
}
}  // namespace

namespace {
// The tensors into the network's parameters, their shapes checked already.
void copy_params(Network& net, const SafetensorsFile& file) {
  for (Param* p : net.params()) {
    const auto& data = file.tensors.at(p->name).data;
    std::copy(data.begin(), data.end(), p->value);
  }
  net.params_changed();
}
}  // namespace

void import_params(Network& net, const SafetensorsFile& file, const std::string& path) {
  if (is_quantized(file)) fail(path + ": holds int8 weights, which do not train; start from the f32 weights");
  std::vector<std::pair<std::string, dims>> want;
  for (Param* p : net.params()) want.emplace_back(p->name, p->shape);
  check_shapes(want, net.arch().name, file, path);
  copy_params(net, file);
}

void put_mean_image(const ModelInfo& info, SafetensorsFile& f, int resize) {
  if (!info.mean_image.empty()) f.tensors["input/mean_image"] = {{resize, resize, 3}, info.mean_image};
}

void get_mean_image(ModelInfo& info, const SafetensorsFile& f, int resize, const std::string& path) {
  auto it = f.tensors.find("input/mean_image");
  if (it == f.tensors.end()) return;
  if (it->second.shape != std::vector<int64_t>{resize, resize, 3})
    fail(path + ": tensor 'input/mean_image' has shape " + shape_str(it->second.shape) + ", expected [" +
         std::to_string(resize) + ", " + std::to_string(resize) + ", 3]");
  info.mean_image = it->second.data;
}

void save_weights(Network& net, const ModelInfo& info, const std::string& path) {
  SafetensorsFile f;
  export_params(net, f);
  put_quantization(net, f);
  put_mean_image(info, f, net.arch().resize);
  put_model_info(info, f.metadata);
  write_safetensors(path, f);
}

namespace {

struct ModelPlan {
  ModelInfo info;
  const ArchSpec* arch = nullptr;
  int classes = 0;
};

// The architecture (the file's metadata, --arch, else its tensor names and conv1's shape) and
// the number of classes (the last layer's bias), from the tensors' shapes alone.
ModelPlan plan_model(const SafetensorsFile& f, const std::string& path, const std::string& arch_flag) {
  ModelPlan m;
  m.info = get_model_info(f.metadata, path);
  std::string arch = m.info.arch;
  if (!arch_flag.empty()) {
    if (!arch.empty() && arch != arch_flag) fail(path + ": weights are for " + arch + ", not --arch " + arch_flag);
    arch = arch_flag;
  }
  if (arch.empty()) {
    // A state dict (.pth, or one converted to safetensors) carries no metadata; its tensor
    // names and conv1's shape say what it is.
    arch = guess_arch(f);
    if (arch.empty()) fail(path + ": no architecture in the metadata, and its tensors fit none; pass --arch");
  }
  m.arch = &arch_by_name(arch);
  m.info.arch = arch;
  const std::string last_bias = std::string(m.arch->fcs.back().file) + ".bias";
  auto it = f.tensors.find(last_bias);
  if (it == f.tensors.end()) fail(path + ": tensor '" + last_bias + "' is missing (" + arch + " needs it)");
  if (it->second.shape.size() != 1 || it->second.shape[0] < 1)
    fail(path + ": tensor '" + last_bias + "' has shape " + shape_str(it->second.shape) + ", expected [classes]");
  m.classes = static_cast<int>(it->second.shape[0]);
  if (!m.info.class_names.empty() && static_cast<int>(m.info.class_names.size()) != m.classes)
    fail(path + ": metadata names " + std::to_string(m.info.class_names.size()) + " classes but the weights have " +
         std::to_string(m.classes));
  return m;
}

}  // namespace

// Each step once: the format from the first bytes; for safetensors the header alone first, so
// that a file contradicting the architecture (240 MB of it) is refused in milliseconds, before
// any tensor is read or a network made; the plan (architecture, classes) and every tensor's
// shape checked against it; then the tensors, copied into the network.
LoadedModel load_model(const std::string& path, const std::string& arch_flag) {
  const WeightFormat format = sniff_weight_file(path);
  const bool safetensors = format == WeightFormat::safetensors;
  SafetensorsFile f = safetensors ? read_safetensors_header(path) : read_weights_file(path, format);
  ModelPlan plan = plan_model(f, path, arch_flag);
  check_shapes(Network::param_shapes(*plan.arch, plan.classes), plan.arch->name, f, path);
  if (safetensors) f = read_safetensors(path);
  get_mean_image(plan.info, f, plan.arch->resize, path);
  const Quantization quant = take_quantization(*plan.arch, plan.classes, f, path);
  LoadedModel m{std::make_unique<Network>(*plan.arch, plan.classes), plan.info};
  copy_params(*m.net, f);
  m.net->set_quantization(quant);
  return m;
}

}  // namespace alexnet
