#include "train/checkpoint.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace alexnet {

namespace {
// Per-parameter state laid out like the network's values (momenta, the average) as "PREFIX/<name>".
void put_state(SafetensorsFile& f, Network& net, const std::string& prefix, const float* base) {
  for (Param* p : net.params()) {
    const float* from = base + (p->value - net.values());
    NamedTensor t;
    t.shape.assign(p->shape.begin(), p->shape.end());
    t.data.assign(from, from + p->size());
    f.tensors[prefix + "/" + p->name] = std::move(t);
  }
}
void get_state(const SafetensorsFile& f, Network& net, const std::string& prefix, float* base, const std::string& path) {
  for (Param* p : net.params()) {
    const std::string name = prefix + "/" + p->name;
    auto it = f.tensors.find(name);
    if (it == f.tensors.end()) fail(path + ": tensor '" + name + "' is missing");
    if (it->second.shape != std::vector<int64_t>(p->shape.begin(), p->shape.end()))
      fail(path + ": tensor '" + name + "' has shape " + shape_str(it->second.shape) + ", expected " +
           shape_str(p->shape));
    std::copy(it->second.data.begin(), it->second.data.end(), base + (p->value - net.values()));
  }
}
}  // namespace

void save_checkpoint(const std::string& path, Network& net, const ModelInfo& info,
                     const nlohmann::json& state, const float* average) {
  SafetensorsFile f;
  export_params(net, f);
  put_state(f, net, "momentum", net.momenta());
  if (average) put_state(f, net, "average", average);
  put_model_info(info, f.metadata);
  put_mean_image(info, f, net.arch().resize);
  f.metadata["train_state"] = state.dump();
  write_safetensors(path, f);
}

namespace {
nlohmann::json parse_state(const SafetensorsFile& f, const std::string& path) {
  auto it = f.metadata.find("train_state");
  if (it == f.metadata.end()) fail(path + ": not a training checkpoint (no train_state in its metadata)");
  try {
    return nlohmann::json::parse(it->second);
  } catch (const nlohmann::json::exception&) {
    fail(path + ": train_state in the metadata is not valid JSON");
  }
}
}  // namespace

ModelInfo peek_checkpoint(const std::string& path, nlohmann::json* state) {
  SafetensorsFile f = read_safetensors(path);
  if (state) *state = parse_state(f, path);
  return get_model_info(f.metadata, path);
}

nlohmann::json load_checkpoint(const std::string& path, Network& net, float* average) {
  SafetensorsFile f = read_safetensors(path);
  nlohmann::json state = parse_state(f, path);
  import_params(net, f, path);
  get_state(f, net, "momentum", net.momenta(), path);
  if (average) get_state(f, net, "average", average, path);
  return state;
}

nlohmann::json to_json(const RunPosition& p) {
  return {{"epoch", p.epoch}, {"step", p.step}, {"global_step", p.global_step},
          {"epoch_loss", p.epoch_loss}, {"epoch_correct", p.epoch_correct},
          {"epoch_seen", p.epoch_seen}, {"best_error", p.best_error},
          {"schedule", p.schedule}, {"epochs", p.epochs},
          {"budget_used_s", p.budget_used_s}, {"recent_epoch_seconds", p.recent_epoch_seconds},
          {"log_bytes", p.log_bytes}};
}

RunPosition run_position(const nlohmann::json& state, const std::string& path) {
  RunPosition p;
  try {
    p.epoch = state.at("epoch");
    p.step = state.at("step");
    p.global_step = state.at("global_step");
    p.epoch_loss = state.at("epoch_loss");
    p.epoch_correct = state.at("epoch_correct");
    p.epoch_seen = state.at("epoch_seen");
    p.best_error = state.at("best_error");
    p.schedule = state.at("schedule");
    p.epochs = state.value("epochs", 0);
    p.budget_used_s = state.value("budget_used_s", 0.0);
    p.recent_epoch_seconds = state.value("recent_epoch_seconds", std::vector<double>{});
    p.log_bytes = state.at("log_bytes");
  } catch (const nlohmann::json::exception& e) {
    fail(path + ": train_state is incomplete (" + e.what() + ")");
  }
  const bool sane = p.epoch >= 0 && p.step >= 0 && p.global_step >= p.step && p.epoch_correct >= 0 &&
                    p.epoch_seen >= p.epoch_correct && p.epochs >= 0 && p.schedule.is_object() &&
                    std::isfinite(p.epoch_loss) && std::isfinite(p.budget_used_s) && p.budget_used_s >= 0 &&
                    p.recent_epoch_seconds.size() <= 3 &&
                    std::all_of(p.recent_epoch_seconds.begin(), p.recent_epoch_seconds.end(),
                                [](double s) { return std::isfinite(s) && s >= 0; });
  if (!sane) fail(path + ": train_state holds impossible values (" + state.dump() + ")");
  return p;
}

}  // namespace alexnet
