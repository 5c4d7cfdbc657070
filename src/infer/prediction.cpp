#include "infer/prediction.hpp"

#include <algorithm>
#include <fstream>
#include <numeric>

#include "data/loader.hpp"
#include "formats/npy.hpp"
#include "infer/metrics.hpp"
#include "layers/softmax_xent.hpp"
#include "tensor/tensor.hpp"
#include "util/error.hpp"

namespace alexnet {

std::vector<float> image_input(const Image& img, const TransformConfig& tf, bool ten_crop) {
  const Image square = resize_shorter_center(img, tf.resize);
  std::vector<float> x(static_cast<size_t>(3) * tf.crop * tf.crop * (ten_crop ? 10 : 1));
  Rng unused(0);  // the test-time path draws nothing
  Loader::transform_sample(square, tf, false, ten_crop, unused, x.data());
  return x;
}

PredictInput read_predict_input(const std::string& path, const std::string& arch, int crop,
                                const TransformConfig& tf, bool ten_crop) {
  PredictInput in;
  if (!path.ends_with(".npy")) {
    try {
      in.views = ten_crop ? 10 : 1;
      in.x = image_input(decode_image(path), tf, ten_crop);
      in.samples = 1;
      return in;
    } catch (const DecodeError& e) {
      fail(e.what());
    }
  }
  NamedTensor t = read_npy(path);
  std::vector<int64_t> s = t.shape;
  if (s.size() == 3) s.insert(s.begin(), 1);
  if (s.size() != 4 || s[1] != 3 || s[2] != crop || s[3] != crop) {
    const std::string c = std::to_string(crop);
    fail(path + ": shape " + shape_str(t.shape) + " does not fit " + arch + ", which takes [N, 3, " + c + ", " + c +
         "] or [3, " + c + ", " + c + "]");
  }
  if (s[0] < 1) fail(path + ": holds no samples");
  in.samples = static_cast<int>(s[0]);
  in.x = std::move(t.data);
  return in;
}

std::vector<ClassScore> top_classes(const float* probs, int classes, int k) {
  k = std::clamp(k, 0, classes);
  std::vector<int> order(classes);
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int a, int b) { return probs[a] > probs[b] || (probs[a] == probs[b] && a < b); });
  std::vector<ClassScore> top;
  for (int t = 0; t < k; ++t) top.push_back({order[t], probs[order[t]]});
  return top;
}

std::vector<std::string> read_class_names(const std::string& path, int classes) {
  std::ifstream in(path);
  if (!in) fail(path + ": cannot open labels file");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    names.push_back(line);
  }
  if (static_cast<int>(names.size()) != classes)
    fail(path + ": " + std::to_string(names.size()) + " names for " + std::to_string(classes) + " classes");
  return names;
}

std::string class_name(const std::vector<std::string>& names, int index) {
  return index < static_cast<int>(names.size()) ? names[index] : std::to_string(index);
}

nlohmann::json prediction_json(const std::string& input, int index, const std::vector<ClassScore>& top,
                               const std::vector<std::string>& names, const float* logits, int classes) {
  nlohmann::json j = {{"input", input}, {"index", index}};
  nlohmann::json list = nlohmann::json::array();
  for (const ClassScore& c : top) {
    nlohmann::json e = {{"class", c.index}, {"prob", c.prob}};
    if (!names.empty()) e["name"] = class_name(names, c.index);
    list.push_back(e);
  }
  j["top"] = list;
  if (logits) j["logits"] = std::vector<float>(logits, logits + classes);
  return j;
}

std::vector<nlohmann::json> classify(Network& net, const PredictInput& in, const std::string& input, int topk,
                                     const std::vector<std::string>& names, bool logits) {
  const int k = net.classes();
  Tensor x(plain_md(net.input_shape(in.samples * in.views)), const_cast<float*>(in.x.data()));
  const Tensor& out = net.forward(x, Mode::eval);
  const std::vector<float> probs = average_views(softmax(out).data(), in.samples, in.views, k);
  std::vector<nlohmann::json> lines;
  for (int i = 0; i < in.samples; ++i) {
    const auto top = top_classes(probs.data() + static_cast<size_t>(i) * k, k, std::min(topk, k));
    const float* l = logits && in.views == 1 ? out.data() + static_cast<size_t>(i) * k : nullptr;
    lines.push_back(prediction_json(input, i, top, names, l, k));
  }
  return lines;
}

}  // namespace alexnet
