// alexnet eval: top-1 / top-5 error of weights on a data set; per-class accuracy and the
// confusion matrix for up to 20 classes.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "data/dataset.hpp"
#include "formats/weights.hpp"
#include "tensor/engine.hpp"
#include "infer/evaluate.hpp"

namespace alexnet::cli {

void add_eval(CLI::App& app) {
  auto* c = app.add_subcommand("eval", "top-1 and top-5 error of weights on a data set");
  struct Opts {
    std::string weights, data, arch, kind = "auto";
    bool ten_crop = false, json = false, strict = false;
    int batch = 200, threads = 0, workers = 1;
    int64_t limit = 0;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("--weights", o->weights, "weights (.safetensors, .pth or .onnx)")->required();
  c->add_option("--data", o->data, "data set (image folder, list file, IDX directory: its test split)")->required();
  c->add_option("--data-kind", o->kind, "auto | folder | list | idx")->capture_default_str();
  c->add_option("--arch", o->arch, "architecture, when the weights do not say");
  c->add_flag("--ten-crop", o->ten_crop, "average the softmax of the paper's 10 crops");
  c->add_flag("--json", o->json, "print one JSON object");
  c->add_flag("--strict", o->strict, "stop at the first file that does not decode");
  c->add_option("--batch", o->batch, "batch size")->capture_default_str();
  c->add_option("--threads", o->threads, "compute threads");
  c->add_option("--workers", o->workers, "data loading threads")->capture_default_str();
  c->add_option("--limit", o->limit, "only the first N samples");
  c->callback([o] {
    set_threads(o->threads);
    LoadedModel m = load_model(o->weights, o->arch);
    m.net->set_inference_only();
    auto data = align_classes(open_dataset(o->data, o->kind, DatasetSplit::test), m.info.class_names);
    EvalOptions eo;
    eo.batch = o->batch;
    eo.workers = o->workers;
    eo.ten_crop = o->ten_crop;
    eo.strict = o->strict;
    eo.progress = !o->json && isatty(STDERR_FILENO);
    const TransformConfig tf = test_transform(m.net->arch(), m.info.norm, m.info.mean_image);
    data = take_prefix(std::move(data), o->limit);
    const EvalResult r = evaluate(*m.net, *data, tf, eo);
    const int k = m.net->classes();
    auto name = [&](int i) {
      return i < static_cast<int>(m.info.class_names.size()) ? m.info.class_names[i] : std::to_string(i);
    };
    if (o->json) {
      nlohmann::json j = {{"weights", o->weights}, {"data", o->data}, {"samples", r.samples},
                          {"ten_crop", o->ten_crop}, {"loss", r.loss}, {"top1_error", r.top1_error},
                          {"top5_error", r.top5_error}, {"skipped", r.failed}};
      if (k <= 20) {
        std::vector<std::vector<int64_t>> cm(k);
        for (int t = 0; t < k; ++t) cm[t].assign(r.confusion.counts.begin() + t * k, r.confusion.counts.begin() + (t + 1) * k);
        j["confusion"] = cm;
      }
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("%s on %s (%lld samples, %s):\n  top-1 error %.2f%%  (accuracy %.2f%%)\n  top-5 error %.2f%%\n  loss %.4f\n",
                o->weights.c_str(), o->data.c_str(), static_cast<long long>(r.samples),
                o->ten_crop ? "10 crops" : "centre crop", 100 * r.top1_error, 100 * (1 - r.top1_error),
                100 * r.top5_error, r.loss);
    if (!r.failed.empty()) {
      std::printf("  skipped %zu files that do not decode:\n", r.failed.size());
      for (auto& f : r.failed) std::printf("    %s\n", f.c_str());
    }
    if (k <= 20) {
      std::printf("\n  %-14s %8s %8s\n", "class", "samples", "accuracy");
      for (int t = 0; t < k; ++t) {
        int64_t total = 0;
        for (int p = 0; p < k; ++p) total += r.confusion.counts[t * k + p];
        if (total == 0) continue;
        std::printf("  %-14s %8lld %7.2f%%\n", name(t).substr(0, 14).c_str(), static_cast<long long>(total),
                    100.0 * r.confusion.counts[t * k + t] / total);
      }
      std::printf("\n  confusion matrix (rows: true class, columns: predicted)\n  %4s", "");
      for (int p = 0; p < k; ++p) std::printf(" %5d", p);
      std::printf("\n");
      for (int t = 0; t < k; ++t) {
        std::printf("  %4d", t);
        for (int p = 0; p < k; ++p) std::printf(" %5lld", static_cast<long long>(r.confusion.counts[t * k + p]));
        std::printf("   %s\n", name(t).c_str());
      }
    }
  });
}

}  // namespace alexnet::cli
