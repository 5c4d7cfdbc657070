// alexnet quantize: f32 weights -> an int8 file (post-training static quantization,
// infer/calibration.hpp), calibrated on images apart from those its accuracy is reported on.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "cli/commands.hpp"
#include "data/dataset.hpp"
#include "formats/weights.hpp"
#include "infer/calibration.hpp"
#include "infer/prediction.hpp"
#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

struct QuantizeOpts {
  std::string weights, calib, kind = "auto", out, arch;
  std::vector<std::string> eval_sets;
  int64_t images = 500;
  int threads = 0;
  CalibrationOptions calibration;
};

// Whether two opened data sets are the same images (a folder or list named twice; an IDX
// directory's training split is not its test split).
bool same_images(const Dataset& a, const Dataset& b) {
  std::error_code ec;
  return std::filesystem::equivalent(a.path(), b.path(), ec) && a.kind() == b.kind() && a.size() == b.size() &&
         a.size() > 0 && a.name_of(0) == b.name_of(0) && a.name_of(a.size() - 1) == b.name_of(b.size() - 1);
}

// The calibration images: the training split, spread over it, checked against the evaluation sets.
std::unique_ptr<Dataset> calibration_images(const QuantizeOpts& o) {
  auto data = open_dataset(o.calib, o.kind, DatasetSplit::train);
  for (const std::string& e : o.eval_sets)
    if (same_images(*data, *open_dataset(e, "auto", DatasetSplit::test)))
      fail(o.calib + ": is the evaluation set " + e + "; calibrate on other images (its training split), or the "
           "accuracy reported on it is not a held-out one");
  if (data->size() < o.calibration.batch)
    fail(o.calib + ": " + std::to_string(data->size()) + " images, fewer than a batch of " +
         std::to_string(o.calibration.batch) + " (--batch)");
  return take_spread(std::move(data), o.images);
}

void run_quantize(const QuantizeOpts& o) {
  set_threads(o.threads);
  if (o.images < o.calibration.batch)
    fail("--images " + std::to_string(o.images) + ": fewer than a batch of " + std::to_string(o.calibration.batch));
  check_range_rule(o.calibration.rule);
  LoadedModel m = load_model(o.weights, o.arch);
  if (!m.net->quantization().empty()) fail(o.weights + ": the weights are int8 already; quantize the f32 weights");
  const auto data = calibration_images(o);
  const TransformConfig tf = test_transform(m.net->arch(), m.info.norm, m.info.mean_image);
  const Quantization q = calibrate(*m.net, *data, tf, o.calibration);
  for (const auto& [layer, lq] : q)
    std::printf("  %-6s input %s, range %.4g (scale %.4g), weights 7-bit, %zu channels\n", layer.c_str(),
                lq->in_zero ? "signed" : "unsigned", lq->in_scale * (lq->in_zero ? 127 : 255), lq->in_scale,
                lq->w_scale.size());
  save_weights(*m.net, m.info, o.out);
  std::printf("%s: int8 weights of %s, calibrated on %lld images of %s (--range %s)\n", o.out.c_str(),
              m.net->arch().name.c_str(), static_cast<long long>(data->size()), o.calib.c_str(),
              o.calibration.rule.c_str());
}

}  // namespace

void add_quantize(CLI::App& app) {
  auto* c = app.add_subcommand("quantize", "f32 weights -> int8 weights, calibrated on images (post-training)");
  auto o = std::make_shared<QuantizeOpts>();
  c->add_option("--weights", o->weights, "f32 weights (.safetensors, .pth, .onnx or .caffemodel)")->required();
  c->add_option("--calib", o->calib, "calibration data (image folder, list file, IDX directory: its training split)")
      ->required();
  c->add_option("--calib-kind", o->kind, "auto | folder | list | idx")->capture_default_str();
  c->add_option("--images", o->images, "calibration images, spread over the data")->capture_default_str();
  c->add_option("--out", o->out, "the int8 .safetensors to write")->required();
  c->add_option("--range", o->calibration.rule, "the inputs' ranges: mse | percentile | max")->capture_default_str();
  c->add_option("--percentile", o->calibration.percentile, "with --range percentile")->capture_default_str();
  c->add_option("--keep-f32", o->calibration.keep_f32, "layers to leave in f32 (e.g. fc8)");
  c->add_option("--eval", o->eval_sets, "evaluation sets the accuracy will be reported on: --calib must not be one");
  c->add_option("--arch", o->arch, "architecture, when the weights do not say");
  c->add_option("--batch", o->calibration.batch, "batch size")->capture_default_str();
  c->add_option("--threads", o->threads, "compute threads");
  c->add_option("--workers", o->calibration.workers, "data loading threads")->capture_default_str();
  c->callback([o] {
    o->calibration.progress = isatty(STDERR_FILENO);
    run_quantize(*o);
  });
}

}  // namespace alexnet::cli
