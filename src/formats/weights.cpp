#include "formats/weights.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "formats/weight_formats.hpp"
#include "util/error.hpp"

namespace alexnet {

using json = nlohmann::json;

void put_model_info(const ModelInfo& info, std::map<std::string, std::string>& md) {
  md["arch"] = info.arch;
  if (!info.class_names.empty()) md["class_names"] = json(info.class_names).dump();
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

void import_params(Network& net, const SafetensorsFile& file, const std::string& path) {
  for (Param* p : net.params()) {
    auto it = file.tensors.find(p->name);
    if (it == file.tensors.end())
      fail(path + ": tensor '" + p->name + "' is missing (" + net.arch().name + " needs it)");
    const std::vector<int64_t> want(p->shape.begin(), p->shape.end());
    if (it->second.shape != want)
      fail(path + ": tensor '" + p->name + "' has shape " + shape_str(it->second.shape) + ", " +
           net.arch().name + " needs " + shape_str(p->shape));
    std::copy(it->second.data.begin(), it->second.data.end(), p->value);
  }
  for (const auto& [name, t] : file.tensors)
    if (name.find('/') == std::string::npos && !net.find_param(name))
      fail(path + ": unknown tensor '" + printable(name) + "' (not a parameter of " + net.arch().name + ")");
  net.params_changed();
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
  put_mean_image(info, f, net.arch().resize);
  put_model_info(info, f.metadata);
  write_safetensors(path, f);
}

LoadedModel load_model(const std::string& path, const std::string& arch_flag) {
  SafetensorsFile f = read_weights_file(path);
  ModelInfo info = get_model_info(f.metadata, path);
  std::string arch = info.arch;
  if (!arch_flag.empty()) {
    if (!arch.empty() && arch != arch_flag)
      fail(path + ": weights are for " + arch + ", not --arch " + arch_flag);
    arch = arch_flag;
  }
  if (arch.empty()) {
    // A state dict (.pth, or one converted to safetensors) carries no metadata; its tensor
    // names and conv1's shape say what it is.
    arch = guess_arch(f);
    if (arch.empty()) fail(path + ": no architecture in the metadata, and its tensors fit none; pass --arch");
  }
  const ArchSpec& spec = arch_by_name(arch);
  info.arch = arch;
  const std::string last_bias = std::string(spec.fcs.back().file) + ".bias";
  auto it = f.tensors.find(last_bias);
  if (it == f.tensors.end()) fail(path + ": tensor '" + last_bias + "' is missing (" + arch + " needs it)");
  if (it->second.shape.size() != 1 || it->second.shape[0] < 1)
    fail(path + ": tensor '" + last_bias + "' has shape " + shape_str(it->second.shape) + ", expected [classes]");
  const int classes = static_cast<int>(it->second.shape[0]);
  if (!info.class_names.empty() && static_cast<int>(info.class_names.size()) != classes)
    fail(path + ": metadata names " + std::to_string(info.class_names.size()) + " classes but the weights have " +
         std::to_string(classes));
  get_mean_image(info, f, spec.resize, path);
  LoadedModel m{std::make_unique<Network>(spec, classes), info};
  import_params(*m.net, f, path);
  return m;
}

}  // namespace alexnet
