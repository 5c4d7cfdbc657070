// alexnet arch A [--classes K] [--json]: the layer plan of an architecture (model/layer_plan.hpp),
// the list every part of the engine walks, as a table or as JSON (tools/torch_alexnet.py builds
// the PyTorch twin of a network from the JSON).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/layer_plan.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet::cli {

namespace {

using json = nlohmann::json;

json layer_json(const LayerSpec& l) {
  json j = {{"kind", kind_name(l.kind)}, {"name", l.name}, {"in", l.in}, {"out", l.out}};
  switch (l.kind) {
    case LayerKind::conv:
      j.update({{"kernel", l.kernel}, {"stride", l.stride}, {"pad", l.pad}, {"groups", l.groups}});
      break;
    case LayerKind::lrn:
      j["lrn"] = {{"size", l.lrn.size}, {"alpha", l.lrn.alpha}, {"beta", l.lrn.beta}, {"k", l.lrn.k}};
      break;
    case LayerKind::max_pool: j.update({{"kernel", l.kernel}, {"stride", l.stride}}); break;
    case LayerKind::dropout: j["p"] = l.dropout; break;
    case LayerKind::flatten:
    case LayerKind::linear: break;
  }
  if (l.has_params()) {
    // ONNX initializers and safetensors keys are these names; Caffe's layer is named as ours.
    j.update({{"relu", l.relu}, {"paper_bias", l.paper_bias}, {"weight", l.weight()}, {"bias", l.bias()},
              {"weight_shape", l.weight_shape()}, {"bias_shape", l.bias_shape()}});
  }
  return j;
}

void print_table(const ArchSpec& arch, const std::vector<LayerSpec>& plan) {
  std::printf("%s: input 3x%dx%d (shorter side resized to %d)\n", arch.name.c_str(), arch.crop, arch.crop, arch.resize);
  for (const LayerSpec& l : plan) {
    std::string shape;
    for (int64_t d : l.out) shape += (shape.empty() ? "" : "x") + std::to_string(d);
    std::string what;
    if (l.kind == LayerKind::conv)
      what = std::to_string(l.kernel) + "x" + std::to_string(l.kernel) + "/" + std::to_string(l.stride) + " pad " +
             std::to_string(l.pad) + (l.groups > 1 ? " groups " + std::to_string(l.groups) : "");
    if (l.kind == LayerKind::max_pool) what = std::to_string(l.kernel) + "x" + std::to_string(l.kernel) + "/" + std::to_string(l.stride);
    if (l.kind == LayerKind::dropout) what = "p " + std::to_string(l.dropout).substr(0, 4);
    if (l.kind == LayerKind::lrn) what = "size " + std::to_string(l.lrn.size) + " k " + std::to_string(l.lrn.k).substr(0, 3);
    if (l.relu) what += what.empty() ? "ReLU" : ", ReLU";
    std::printf("  %-8s %-8s %-14s %-26s %s\n", l.name.c_str(), kind_name(l.kind), shape.c_str(), what.c_str(),
                l.has_params() ? l.weight().c_str() : "");
  }
}

}  // namespace

void add_arch(CLI::App& app) {
  auto* c = app.add_subcommand("arch", "the layers of an architecture, as every part of the engine walks them");
  struct Opts {
    std::string arch;
    int classes = 1000;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("arch", o->arch, "architecture (" + arch_names_joined(", ") + ")")->required();
  c->add_option("--classes", o->classes, "width of the last layer")->capture_default_str();
  c->add_flag("--json", o->json, "print JSON: the architecture and its layers");
  c->callback([o] {
    if (o->classes < 1 || o->classes > 1'000'000) fail("--classes must be from 1 to 1000000");
    const ArchSpec& arch = arch_by_name(o->arch);
    const std::vector<LayerSpec> plan = layer_plan(arch, o->classes);
    if (!o->json) return print_table(arch, plan);
    json layers = json::array();
    for (const LayerSpec& l : plan) layers.push_back(layer_json(l));
    const json j = {{"arch", arch.name}, {"input", {3, arch.crop, arch.crop}}, {"resize", arch.resize},
                    {"classes", o->classes}, {"channels", arch.bgr ? "BGR" : "RGB"}, {"layers", layers}};
    std::printf("%s\n", json_text(j, 1).c_str());
  });
}

}  // namespace alexnet::cli
