// alexnet bench: images per second of inference or of a whole training step (forward, loss,
// backward, SGD) on random data, the median of repetitions after warm-up, peak memory; with
// --layers, each layer's forward and backward time, as `caffe time` prints them.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "model/arch.hpp"
#include "tensor/engine.hpp"
#include "train/benchmark.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

struct Opts {
  std::string arch = "alexnet", mode = "infer";
  int batch = 64, threads = 0, reps = 5, warmup = 2, classes = 1000;
  bool layers = false, json = false;
  std::string data, weights;
  int workers = 1, batches = 20;
};

// --data: the input pipeline alone, from the data set to training crops.
void bench_pipeline(const Opts& o) {
  const double ips = pipeline_images_per_s(o.data, o.arch, o.batch, o.workers, o.batches);
  if (o.json)
    std::printf("%s\n", nlohmann::json({{"data", o.data}, {"arch", o.arch}, {"workers", o.workers},
                                         {"images_per_s", ips}, {"per_worker", ips / o.workers}}).dump().c_str());
  else
    std::printf("%s -> %s training crops: %.0f images/s with %d workers (%.0f per worker)\n", o.data.c_str(),
                o.arch.c_str(), ips, o.workers, ips / o.workers);
}

}  // namespace

void add_bench(CLI::App& app) {
  auto* c = app.add_subcommand("bench", "images/s of inference or training on random data");
  auto o = std::make_shared<Opts>();
  c->add_option("--arch", o->arch, arch_names_joined(" | "))->capture_default_str();
  c->add_option("--batch", o->batch, "batch size")->capture_default_str();
  c->add_option("--mode", o->mode, "infer | train")->capture_default_str();
  c->add_option("--threads", o->threads, "compute threads (default: all cores, or as many as a CPU quota allows)");
  c->add_option("--reps", o->reps, "timed repetitions")->capture_default_str();
  c->add_option("--warmup", o->warmup, "untimed repetitions first")->capture_default_str();
  c->add_option("--classes", o->classes, "classes")->capture_default_str();
  c->add_flag("--layers", o->layers, "per-layer forward and backward times");
  c->add_option("--weights", o->weights, "measure this file's network in its precision (f32 or int8) instead of --arch");
  c->add_flag("--json", o->json, "print one JSON object");
  c->add_option("--data", o->data, "measure the input pipeline instead: images/s from this data set to training crops");
  c->add_option("--workers", o->workers, "with --data: loader threads")->capture_default_str();
  c->add_option("--batches", o->batches, "with --data: batches to time (after one of warm-up)")->capture_default_str();
  c->callback([o] {
    if (!o->data.empty()) return bench_pipeline(*o);
    if (o->mode != "infer" && o->mode != "train") fail("--mode: expected infer or train, got '" + o->mode + "'");
    if (o->batch < 1 || o->reps < 1 || o->warmup < 0) fail("--batch and --reps must be at least 1");
    set_threads(o->threads);
    const BenchResult r =
        run_benchmark({o->arch, o->mode == "train", o->batch, o->reps, o->warmup, o->classes, o->layers, o->weights});
    if (o->json) std::printf("%s\n", benchmark_json(r).dump().c_str());
    else print_benchmark(r);
  });
}

}  // namespace alexnet::cli
