// alexnet bench: images per second of inference or of a whole training step (forward, loss,
// backward, SGD) on random data, the median of repetitions after warm-up, peak memory; with
// --layers, each layer's forward and backward time, as `caffe time` prints them.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "data/loader.hpp"
#include "model/network.hpp"
#include "tensor/engine.hpp"
#include "train/synthetic_steps.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_bench(CLI::App& app) {
  auto* c = app.add_subcommand("bench", "images/s of inference or training on random data");
  struct Opts {
    std::string arch = "alexnet", mode = "infer";
    int batch = 64, threads = 0, reps = 5, warmup = 2, classes = 1000;
    bool layers = false, json = false;
    std::string data;
    int workers = 1, batches = 20;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("--arch", o->arch, "alexnet | alexnet-torchvision | alexnet-mini | alexnet-caffe")->capture_default_str();
  c->add_option("--batch", o->batch, "batch size")->capture_default_str();
  c->add_option("--mode", o->mode, "infer | train")->capture_default_str();
  c->add_option("--threads", o->threads, "compute threads (default: all cores)");
  c->add_option("--reps", o->reps, "timed repetitions")->capture_default_str();
  c->add_option("--warmup", o->warmup, "untimed repetitions first")->capture_default_str();
  c->add_option("--classes", o->classes, "classes")->capture_default_str();
  c->add_flag("--layers", o->layers, "per-layer forward and backward times");
  c->add_flag("--json", o->json, "print one JSON object");
  c->add_option("--data", o->data, "measure the input pipeline instead: images/s from this data set to training crops");
  c->add_option("--workers", o->workers, "with --data: loader threads")->capture_default_str();
  c->add_option("--batches", o->batches, "with --data: batches to time (after one of warm-up)")->capture_default_str();
  c->callback([o] {
    if (!o->data.empty()) {  // the input pipeline alone: decode, resize, crop, flip, colour noise
      const ArchSpec& a = arch_by_name(o->arch);
      auto data = open_dataset(o->data, "auto", DatasetSplit::train);
      TransformConfig tf;
      tf.resize = a.resize;
      tf.crop = a.crop;
      LoaderConfig lc;
      lc.batch = o->batch;
      lc.workers = o->workers;
      lc.queue = 2 * o->workers + 2;
      Loader loader(*data, tf, lc);
      loader.start_epoch(0);
      Batch b;
      int64_t images = 0, batches = 0;
      loader.next(b);  // warm-up: the first batch includes thread start
      const auto t0 = std::chrono::steady_clock::now();
      while (batches < o->batches && loader.next(b)) images += b.samples(), ++batches;
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (batches == 0) fail(o->data + ": fewer than two batches of " + std::to_string(o->batch));
      const double ips = images / s;
      if (o->json)
        std::printf("%s\n", nlohmann::json({{"data", o->data}, {"arch", o->arch}, {"workers", o->workers},
                                             {"images_per_s", ips}, {"per_worker", ips / o->workers}}).dump().c_str());
      else
        std::printf("%s -> %s training crops: %.0f images/s with %d workers (%.0f per worker)\n", o->data.c_str(),
                    o->arch.c_str(), ips, o->workers, ips / o->workers);
      return;
    }
    if (o->mode != "infer" && o->mode != "train") fail("--mode: expected infer or train, got '" + o->mode + "'");
    if (o->batch < 1 || o->reps < 1 || o->warmup < 0) fail("--batch and --reps must be at least 1");
    set_threads(o->threads);
    Network net(arch_by_name(o->arch), o->classes);
    net.init(InitKind::kaiming, 1);
    if (o->mode == "infer") net.set_inference_only();  // as predict and serve run it
    const bool train = o->mode == "train";
    SyntheticSteps steps(net, o->batch, train, SgdConfig{0.001f, 0.9f, 5e-4f}, 7);
    steps.warm_up(o->warmup);
    net.set_profiling(o->layers);
    const std::vector<double> sorted = steps.time(o->reps);
    const double median = sorted[sorted.size() / 2];
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double peak_mb = ru.ru_maxrss / 1024.0;
    const double ips = o->batch / median;
    if (o->json) {
      nlohmann::json j = {{"arch", o->arch}, {"mode", o->mode}, {"batch", o->batch},
                          {"threads", num_threads()}, {"images_per_s", ips},
                          {"images_per_s_min", o->batch / sorted.back()},
                          {"images_per_s_max", o->batch / sorted.front()},
                          {"median_s", median}, {"peak_rss_mb", peak_mb}};
      if (o->layers) {
        nlohmann::json ls = nlohmann::json::array();
        for (const LayerTiming& t : net.timings())
          ls.push_back({{"layer", t.name}, {"forward_ms", t.forward_ms / o->reps}, {"backward_ms", t.backward_ms / o->reps},
                        {"forward_gflops", t.forward_flops / 1e9}, {"backward_gflops", t.backward_flops / 1e9},
                        {"kernel", t.kernel}});
        j["layers"] = ls;
      }
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    std::printf("%s %s batch %d, %d threads: %.1f images/s (median of %d, min %.1f, max %.1f), %.1f ms/batch, peak RSS %.0f MB\n",
                o->arch.c_str(), o->mode.c_str(), o->batch, num_threads(), ips, o->reps,
                o->batch / sorted.back(), o->batch / sorted.front(), 1000 * median, peak_mb);
    if (o->layers) {
      // GFLOP/s where the layer counts its operations (conv, inner product)
      auto rate = [](double flops, double ms) {
        char s[32] = "";
        if (flops > 0 && ms > 0) std::snprintf(s, sizeof s, "%.1f", flops / ms / 1e6);
        return std::string(s);
      };
      std::printf("\n  %-10s %12s %10s %12s %10s  %s\n", "layer", "forward ms", "GFLOP/s", "backward ms", "GFLOP/s",
                  "oneDNN kernel (forward / backward data / backward weights)");
      double f = 0, b = 0, ff = 0, bf = 0;
      for (const LayerTiming& t : net.timings()) {
        const double fm = t.forward_ms / o->reps, bm = t.backward_ms / o->reps;
        std::printf("  %-10s %12.2f %10s %12.2f %10s  %s\n", t.name.c_str(), fm, rate(t.forward_flops, fm).c_str(), bm,
                    rate(t.backward_flops, bm).c_str(), t.kernel.c_str());
        f += fm, b += bm, ff += t.forward_flops, bf += t.backward_flops;
      }
      std::printf("  %-10s %12.2f %10s %12.2f %10s\n", "total", f, rate(ff, f).c_str(), b, rate(bf, b).c_str());
    }
  });
}

}  // namespace alexnet::cli
