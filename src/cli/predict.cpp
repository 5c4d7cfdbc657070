// alexnet predict: the top-k classes of images (through the test-time path) or of .npy tensors
// (C x H x W or N x C x H x W, already normalised, fed as they are).
#include <cstdio>

#include "cli/commands.hpp"
#include "infer/inference_model.hpp"
#include "infer/prediction.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet::cli {

namespace {

struct Opts {
  std::string weights, arch, labels;
  std::vector<std::string> inputs;
  int topk = 5, threads = 0;
  bool json = false, logits = false, ten_crop = false;
};

// Classifies one input file and prints its top-k, as text or one JSON line per sample.
void predict_file(const std::string& path, const Opts& o, Network& net, const TransformConfig& tf,
                  const std::vector<std::string>& names) {
  const PredictInput in = read_predict_input(path, net.arch().name, net.arch().crop, tf, o.ten_crop);
  const auto lines = classify(net, in, path, o.topk, names, o.json && o.logits);
  for (const nlohmann::json& line : lines) {
    if (o.json) {
      std::printf("%s\n", json_text(line).c_str());
      continue;
    }
    if (in.samples > 1) std::printf("%s[%d]\n", path.c_str(), line["index"].get<int>());
    else std::printf("%s\n", path.c_str());
    for (const nlohmann::json& c : line["top"])
      std::printf("  %6.2f%%  %s\n", 100 * c["prob"].get<float>(),
                  class_name(names, c["class"].get<int>()).c_str());
  }
}

}  // namespace

void add_predict(CLI::App& app) {
  auto* c = app.add_subcommand("predict", "classify images or .npy tensors");
  auto o = std::make_shared<Opts>();
  c->add_option("--weights", o->weights, "weights (.safetensors, .pth, .onnx or .caffemodel)")->required();
  c->add_option("--arch", o->arch, "architecture, when the weights do not say");
  c->add_option("--labels", o->labels, "class names, one per line (e.g. classification_classes_ILSVRC2012.txt)");
  c->add_option("--topk", o->topk, "classes to show")->capture_default_str();
  c->add_flag("--json", o->json, "one JSON object per line per sample");
  c->add_flag("--logits", o->logits, "with --json: add the logits");
  c->add_flag("--ten-crop", o->ten_crop, "images: average the softmax of the 10 crops");
  c->add_option("--threads", o->threads, "compute threads");
  c->add_option("inputs", o->inputs, "image files or .npy tensors")->required();
  c->callback([o] {
    if (o->topk < 1) fail("--topk must be at least 1");
    const InferenceModel m = open_for_inference(o->weights, o->arch, o->threads);
    const std::vector<std::string> names = m.class_names(o->labels);
    for (const std::string& in : o->inputs) predict_file(in, *o, m.net(), m.transform, names);
  });
}

}  // namespace alexnet::cli
