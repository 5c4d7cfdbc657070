// alexnet eval: top-1 / top-5 error of weights on a data set; per-class accuracy and the
// confusion matrix for up to 20 classes.
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "util/error.hpp"
#include "infer/inference_model.hpp"
#include "data/dataset.hpp"
#include "formats/weights.hpp"
#include "tensor/engine.hpp"
#include "infer/eval_report.hpp"
#include "infer/evaluate.hpp"
#include "train/plan.hpp"
#include "train/run_data.hpp"
#include "util/json_text.hpp"

namespace alexnet::cli {

namespace {

// The validation samples a run held out of its training data, or its --val.
std::unique_ptr<Dataset> held_out_data(const std::string& run_dir) {
  RunData d = open_run_data(read_run_config(run_dir));
  if (!d.val) fail(run_dir + ": the run validated on nothing (--val-split 0)");
  return std::move(d.val);
}

}  // namespace

void add_eval(CLI::App& app) {
  auto* c = app.add_subcommand("eval", "top-1 and top-5 error of weights on a data set");
  struct Opts {
    std::string weights, data, held_out, arch, kind = "auto";
    bool ten_crop = false, json = false, strict = false;
    int batch = 200, threads = 0, workers = 1;
    int64_t limit = 0;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("--weights", o->weights, "weights (.safetensors, .pth, .onnx or .caffemodel)")->required();
  auto* data = c->add_option("--data", o->data, "data set (image folder, list file, IDX directory: its test split)");
  auto* held = c->add_option("--held-out", o->held_out,
                             "instead of --data: the validation images training run RUN chose its weights on");
  data->excludes(held);  // CLI11 makes it mutual
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
    const InferenceModel im = open_for_inference(o->weights, o->arch, o->threads);
    const LoadedModel& m = im.loaded;
    if (o->data.empty() && o->held_out.empty()) fail("eval: --data or --held-out is required");
    auto data = align_classes(o->held_out.empty() ? open_dataset(o->data, o->kind, DatasetSplit::test)
                                                  : held_out_data(o->held_out),
                              m.info.class_names);
    EvalOptions eo;
    eo.batch = o->batch;
    eo.workers = o->workers;
    eo.ten_crop = o->ten_crop;
    eo.strict = o->strict;
    eo.progress = !o->json && isatty(STDERR_FILENO);
    data = take_prefix(std::move(data), o->limit);
    const EvalResult r = evaluate(*m.net, *data, im.transform, eo);
    const EvalReport about{o->weights, o->held_out.empty() ? o->data : o->held_out + " (held out)", o->ten_crop,
                           m.info.class_names};
    if (o->json) std::printf("%s\n", json_text(eval_json(r, about)).c_str());
    else print_eval_report(r, about);
  });
}

}  // namespace alexnet::cli
