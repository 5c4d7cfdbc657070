// A training checkpoint: one safetensors file with the weights (the names of docs/spec.md §1), the momenta
// ("momentum/<name>") and, in the metadata, the model info and the run's state as JSON (epoch,
// step, lr, schedule, seed, running sums). Written atomically: a run killed at any moment
// leaves the previous complete checkpoint in place.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "formats/weights.hpp"

namespace alexnet {

void save_checkpoint(const std::string& path, Network& net, const ModelInfo& info,
                     const nlohmann::json& state);
// Loads weights and momenta into `net` (which must have the checkpoint's architecture and
// classes) and returns the state.
nlohmann::json load_checkpoint(const std::string& path, Network& net);
// Reads only the metadata (to build the right network before loading).
ModelInfo peek_checkpoint(const std::string& path, nlohmann::json* state);

}  // namespace alexnet
