// alexnet predict: the top-k classes of images (through the test-time path) or of .npy tensors
// (C x H x W or N x C x H x W, already normalised, fed as they are).
#include <cstdio>

#include "cli/commands.hpp"
#include "infer/prediction.hpp"
#include "formats/npy.hpp"
#include "layers/softmax_xent.hpp"
#include "formats/weights.hpp"
#include "tensor/engine.hpp"
#include "infer/metrics.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_predict(CLI::App& app) {
  auto* c = app.add_subcommand("predict", "classify images or .npy tensors");
  struct Opts {
    std::string weights, arch, labels;
    std::vector<std::string> inputs;
    int topk = 5, threads = 0;
    bool json = false, logits = false, ten_crop = false;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("--weights", o->weights, "weights (.safetensors, .pth or .onnx)")->required();
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
    m.net->set_inference_only();
    Network& net = *m.net;
    const int k = net.classes();
    const std::vector<std::string> names = o->labels.empty() ? m.info.class_names : read_class_names(o->labels, k);
    if (o->topk < 1) fail("--topk must be at least 1");
    const int topk = std::min(o->topk, k);
    const TransformConfig tf = test_transform(net.arch(), m.info.norm, m.info.mean_image);
    const dims one = net.input_shape(1);

    for (const std::string& in : o->inputs) {
      std::vector<float> x;
      int n = 0, views = 1;
      if (in.ends_with(".npy")) {
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
        try {
          views = o->ten_crop ? 10 : 1;
          x = image_input(decode_image(in), tf, o->ten_crop);
          n = 1;
        } catch (const DecodeError& e) {
          fail(e.what());
        }
      }
      Tensor input(plain_md(net.input_shape(n * views)), x.data());
      const Tensor& logits = net.forward(input, Mode::eval);
      Tensor probs_t = softmax(logits);
      const std::vector<float> probs = average_views(probs_t.data(), n, views, k);
      for (int i = 0; i < n; ++i) {
        const auto top = top_classes(probs.data() + static_cast<size_t>(i) * k, k, topk);
        if (o->json) {
          const float* l = o->logits && views == 1 ? logits.data() + static_cast<size_t>(i) * k : nullptr;
          std::printf("%s\n", prediction_json(in, i, top, names, l, k).dump().c_str());
        } else {
          if (n > 1) std::printf("%s[%d]\n", in.c_str(), i);
          else std::printf("%s\n", in.c_str());
          for (const ClassScore& c : top)
            std::printf("  %6.2f%%  %s\n", 100 * c.prob, class_name(names, c.index).c_str());
        }
      }
    }
  });
}

}  // namespace alexnet::cli
