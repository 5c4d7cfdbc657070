// alexnet predict: the top-k classes of images (through the test-time path) or of .npy tensors
// (C x H x W or N x C x H x W, already normalised, fed as they are).
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "data/loader.hpp"
#include "io/npy.hpp"
#include "layers/softmax_xent.hpp"
#include "model/weights.hpp"
#include "tensor/engine.hpp"
#include "train/metrics.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

bool ends_with(const std::string& s, const std::string& e) {
  return s.size() >= e.size() && s.compare(s.size() - e.size(), e.size(), e) == 0;
}

std::vector<std::string> read_labels(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail(path + ": cannot open labels file");
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    names.push_back(line);
  }
  return names;
}

}  // namespace

void add_predict(CLI::App& app) {
  auto* c = app.add_subcommand("predict", "classify images or .npy tensors");
  struct Opts {
    std::string weights, arch, labels;
    std::vector<std::string> inputs;
    int topk = 5, threads = 0;
    bool json = false, logits = false, ten_crop = false;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("--weights", o->weights, "weights (.safetensors)")->required();
  c->add_option("--arch", o->arch, "architecture, when the weights do not say");
  c->add_option("--labels", o->labels, "class names, one per line (e.g. classification_classes_ILSVRC2012.txt)");
  c->add_option("--topk", o->topk, "classes to show")->capture_default_str();
  c->add_flag("--json", o->json, "one JSON object per line per sample");
  c->add_flag("--logits", o->logits, "with --json: add the logits");
  c->add_flag("--ten-crop", o->ten_crop, "images: average the softmax of the 10 crops");
  c->add_option("--threads", o->threads, "compute threads");
  c->add_option("inputs", o->inputs, "image files or .npy tensors")->required();
  c->callback([o] {
    set_threads(o->threads);
    LoadedModel m = load_model(o->weights, o->arch);
    Network& net = *m.net;
    const int k = net.classes();
    std::vector<std::string> names = m.info.class_names;
    if (!o->labels.empty()) {
      names = read_labels(o->labels);
      if (static_cast<int>(names.size()) != k)
        fail(o->labels + ": " + std::to_string(names.size()) + " names for " + std::to_string(k) + " classes");
    }
    if (o->topk < 1) fail("--topk must be at least 1");
    const int topk = std::min(o->topk, k);
    const TransformConfig tf = test_transform(net.arch(), m.info.norm, m.info.mean_image);
    const dims one = net.input_shape(1);
    const int64_t per = numel(one);

    for (const std::string& in : o->inputs) {
      std::vector<float> x;
      int n = 0, views = 1;
      if (ends_with(in, ".npy")) {
        NamedTensor t = read_npy(in);
        std::vector<int64_t> s = t.shape;
        if (s.size() == 3) s.insert(s.begin(), 1);
        if (s.size() != 4 || s[1] != one[1] || s[2] != one[2] || s[3] != one[3])
          fail(in + ": shape " + shape_str(t.shape) + " does not fit " + net.arch().name + ", which takes [N, 3, " +
               std::to_string(one[2]) + ", " + std::to_string(one[3]) + "] or [3, " + std::to_string(one[2]) + ", " +
               std::to_string(one[3]) + "]");
        if (s[0] < 1) fail(in + ": holds no samples");
        n = static_cast<int>(s[0]);
        x = std::move(t.data);
      } else {
        Image img;
        try {
          img = resize_shorter_center(decode_image(in), tf.resize);
        } catch (const DecodeError& e) {
          fail(e.what());
        }
        n = 1;
        views = o->ten_crop ? 10 : 1;
        x.resize(per * views);
        Rng unused(0);
        Loader::transform_sample(img, tf, false, o->ten_crop, unused, x.data());
      }
      Tensor input(plain_md(net.input_shape(n * views)), x.data());
      const Tensor& logits = net.forward(input, Mode::eval);
      Tensor probs_t = softmax(logits);
      const std::vector<float> probs = average_views(probs_t.data(), n, views, k);
      for (int i = 0; i < n; ++i) {
        const float* p = probs.data() + static_cast<size_t>(i) * k;
        std::vector<int> order(k);
        for (int j = 0; j < k; ++j) order[j] = j;
        std::partial_sort(order.begin(), order.begin() + topk, order.end(),
                          [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
        auto name = [&](int j) { return j < static_cast<int>(names.size()) ? names[j] : std::to_string(j); };
        if (o->json) {
          nlohmann::json j = {{"input", in}, {"index", i}};
          nlohmann::json top = nlohmann::json::array();
          for (int t = 0; t < topk; ++t) {
            nlohmann::json e = {{"class", order[t]}, {"prob", p[order[t]]}};
            if (!names.empty()) e["name"] = name(order[t]);
            top.push_back(e);
          }
          j["top"] = top;
          if (o->logits && views == 1)
            j["logits"] = std::vector<float>(logits.data() + static_cast<size_t>(i) * k,
                                             logits.data() + static_cast<size_t>(i + 1) * k);
          std::printf("%s\n", j.dump().c_str());
        } else {
          std::printf("%s%s\n", in.c_str(), n > 1 ? ("[" + std::to_string(i) + "]").c_str() : "");
          for (int t = 0; t < topk; ++t)
            std::printf("  %6.2f%%  %s\n", 100 * p[order[t]], name(order[t]).c_str());
        }
      }
    }
  });
}

}  // namespace alexnet::cli
