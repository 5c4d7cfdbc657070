// Weights of a Network as safetensors, with docs/spec.md §1's tensor names, plus what travels with
// them in the metadata: the architecture, class names and input normalisation.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "formats/safetensors.hpp"
#include "model/network.hpp"

namespace alexnet {

struct ModelInfo {
  std::string arch;
  std::vector<std::string> class_names;  // may be empty
  std::optional<Normalization> norm;     // absent: the architecture's default (docs/spec.md §2)
  std::vector<float> mean_image;         // optional S x S x 3 (HWC, 0-255): the paper's mean
};


void put_model_info(const ModelInfo& info, std::map<std::string, std::string>& metadata);
ModelInfo get_model_info(const std::map<std::string, std::string>& metadata, const std::string& path);

// Copies every parameter into `file` (PyTorch layout).
void export_params(Network& net, SafetensorsFile& file);
// Copies tensors named like the network's parameters into it; missing, unknown or misshapen
// tensors are UserErrors naming the file and the tensor. Names with a '/' (a checkpoint's
// "momentum/...", "input/mean_image") belong to other sections and are left alone.
void import_params(Network& net, const SafetensorsFile& file, const std::string& path);

void put_mean_image(const ModelInfo& info, SafetensorsFile& f, int resize);
void get_mean_image(ModelInfo& info, const SafetensorsFile& f, int resize, const std::string& path);

void save_weights(Network& net, const ModelInfo& info, const std::string& path);

struct LoadedModel {
  std::unique_ptr<Network> net;
  ModelInfo info;
};
// The architecture comes from the file's metadata or, failing that, from `arch` (a flag);
// the number of classes from the last layer's bias.
LoadedModel load_model(const std::string& path, const std::string& arch);

}  // namespace alexnet
