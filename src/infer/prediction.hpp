// What classifying one image means, shared by `alexnet predict` and `alexnet serve`: the
// test-time input of a decoded image, the top-k classes of its probabilities, and the JSON
// object both print for it (so the server answers exactly what predict --json prints).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "data/transform.hpp"
#include "model/network.hpp"

namespace alexnet {

// The network's input (3 x C x C, normalised) for one decoded image: shorter side to S, the
// centre S x S, its centre crop. With ten_crop, the 10 crops one after another.
std::vector<float> image_input(const Image& img, const TransformConfig& tf, bool ten_crop = false);

// One input file of `alexnet predict`: an image through the test-time path (10 views with
// ten_crop), or a .npy tensor fed as it is ([3, C, C] or [N, 3, C, C], already normalised).
// `crop` is the network's input side C. A file that does not fit is a UserError naming it.
struct PredictInput {
  std::vector<float> x;  // [samples * views, 3, C, C]
  int samples = 0, views = 1;
};
PredictInput read_predict_input(const std::string& path, const std::string& arch, int crop,
                                const TransformConfig& tf, bool ten_crop);

struct ClassScore {
  int index;
  float prob;
};
// The k most probable classes, most probable first; ties go to the lower index.
std::vector<ClassScore> top_classes(const float* probs, int classes, int k);

// Class names from a file, one per line; a UserError unless there are exactly `classes`.
std::vector<std::string> read_class_names(const std::string& path, int classes);
std::string class_name(const std::vector<std::string>& names, int index);  // the index when unnamed

// {"input", "index", "top": [{"class", "prob", "name"?}...], "logits"?}; `logits` may be null.
nlohmann::json prediction_json(const std::string& input, int index, const std::vector<ClassScore>& top,
                               const std::vector<std::string>& names, const float* logits, int classes);

// One input through the network: for each sample, the object above with its top-k classes (the
// softmax averaged over its views) and, when asked and there is one view, its logits.
std::vector<nlohmann::json> classify(Network& net, const PredictInput& in, const std::string& input, int topk,
                                     const std::vector<std::string>& names, bool logits);

}  // namespace alexnet
