#include "train/benchmark.hpp"

#include <sys/resource.h>

#include <chrono>
#include <cstdio>

#include "data/loader.hpp"
#include "formats/weights.hpp"
#include "tensor/engine.hpp"
#include "train/synthetic_steps.hpp"
#include "util/error.hpp"

namespace alexnet {

BenchResult run_benchmark(const BenchConfig& c) {
  if (c.batch < 1 || c.reps < 1 || c.warmup < 0) fail("bench: the batch and the repetitions must be at least 1");
  std::unique_ptr<Network> made;
  if (!c.weights.empty()) {
    made = load_model(c.weights, "").net;
    if (c.train && !made->quantization().empty()) fail(c.weights + ": int8 weights do not train; bench --mode infer");
  } else {
    made = std::make_unique<Network>(arch_by_name(c.arch), c.classes);
    made->init(InitKind::kaiming, 1);
  }
  Network& net = *made;
  if (!c.train) net.set_inference_only();  // as predict and serve run it
  SyntheticSteps steps(net, c.batch, c.train, SgdConfig{0.001f, 0.9f, 5e-4f}, 7);
  steps.warm_up(c.warmup);
  net.set_profiling(c.layers);
  BenchResult r;
  r.config = c;
  r.config.arch = net.arch().name;
  r.config.classes = net.classes();
  r.step_s = steps.time(c.reps);
  r.threads = num_threads();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  r.peak_rss_mb = ru.ru_maxrss / 1024.0;
  if (c.layers) r.layers = net.timings();
  return r;
}

nlohmann::json benchmark_json(const BenchResult& r) {
  const BenchConfig& c = r.config;
  nlohmann::json j = {{"arch", c.arch}, {"mode", c.train ? "train" : "infer"}, {"batch", c.batch},
                      {"threads", r.threads}, {"images_per_s", r.images_per_s()},
                      {"images_per_s_min", c.batch / r.step_s.back()},
                      {"images_per_s_max", c.batch / r.step_s.front()},
                      {"median_s", r.median_s()}, {"peak_rss_mb", r.peak_rss_mb}};
  if (!c.weights.empty()) j["weights"] = c.weights;
  if (!c.layers) return j;
  nlohmann::json ls = nlohmann::json::array();
  for (const LayerTiming& t : r.layers)
    ls.push_back({{"layer", t.name}, {"forward_ms", t.forward_ms / c.reps}, {"backward_ms", t.backward_ms / c.reps},
                  {"forward_gflops", t.forward_flops / 1e9}, {"backward_gflops", t.backward_flops / 1e9},
                  {"kernel", t.kernel}, {"chosen_by", t.chosen_by}, {"precision", t.precision}});
  j["layers"] = ls;
  return j;
}

namespace {
// GFLOP/s where the layer counts its operations (conv, inner product), else blank.
std::string rate(double flops, double ms) {
  char s[32] = "";
  if (flops > 0 && ms > 0) std::snprintf(s, sizeof s, "%.1f", flops / ms / 1e6);
  return s;
}

void print_layers(const BenchResult& r) {
  std::printf("\n  %-10s %12s %10s %12s %10s  %s\n", "layer", "forward ms", "GFLOP/s", "backward ms", "GFLOP/s",
              "kernel (forward / backward data / backward weights) [chosen by]; GFLOP/s: multiply-adds x2, any precision");
  double f = 0, b = 0, ff = 0, bf = 0;
  for (const LayerTiming& t : r.layers) {
    const double fm = t.forward_ms / r.config.reps, bm = t.backward_ms / r.config.reps;
    const std::string how = t.chosen_by.empty() ? "" : " [" + t.chosen_by + "]";
    std::printf("  %-10s %12.2f %10s %12.2f %10s  %s%s\n", t.name.c_str(), fm, rate(t.forward_flops, fm).c_str(), bm,
                rate(t.backward_flops, bm).c_str(), t.kernel.c_str(), how.c_str());
    f += fm, b += bm, ff += t.forward_flops, bf += t.backward_flops;
  }
  std::printf("  %-10s %12.2f %10s %12.2f %10s\n", "total", f, rate(ff, f).c_str(), b, rate(bf, b).c_str());
}
}  // namespace

void print_benchmark(const BenchResult& r) {
  const BenchConfig& c = r.config;
  std::printf("%s %s batch %d, %d threads: %.1f images/s (median of %d, min %.1f, max %.1f), %.1f ms/batch, peak RSS %.0f MB\n",
              c.arch.c_str(), c.train ? "train" : "infer", c.batch, r.threads, r.images_per_s(), c.reps,
              c.batch / r.step_s.back(), c.batch / r.step_s.front(), 1000 * r.median_s(), r.peak_rss_mb);
  if (c.layers) print_layers(r);
}

double pipeline_images_per_s(const std::string& data, const std::string& arch, int batch, int workers, int batches) {
  const ArchSpec& a = arch_by_name(arch);
  auto set = open_dataset(data, "auto", DatasetSplit::train);
  TransformConfig tf;
  tf.resize = a.resize;
  tf.crop = a.crop;
  LoaderConfig lc;
  lc.batch = batch;
  lc.workers = workers;
  lc.queue = 2 * workers + 2;
  Loader loader(*set, tf, lc);
  loader.start_epoch(0);
  Batch b;
  int64_t images = 0, timed = 0;
  loader.next(b);  // warm-up: the first batch includes the threads' start
  const auto t0 = std::chrono::steady_clock::now();
  while (timed < batches && loader.next(b)) images += b.samples(), ++timed;
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (timed == 0) fail(data + ": fewer than two batches of " + std::to_string(batch));
  return images / s;
}

}  // namespace alexnet
