// What `alexnet bench` measures, as `caffe time` does: images per second of inference or of a
// whole training step (forward, loss, backward, SGD) on random data, the median of repetitions
// after warm-up, peak memory, and each layer's forward and backward time with its kernels. And
// the input pipeline alone: images per second from a data set to training crops.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "model/network.hpp"

namespace alexnet {

struct BenchConfig {
  std::string arch = "alexnet";
  bool train = false;
  int batch = 64, reps = 5, warmup = 2, classes = 1000;
  bool layers = false;  // time each layer (profiling on)
  std::string weights;  // measure this file's network (architecture, classes, precision) instead
};

struct BenchResult {
  BenchConfig config;
  int threads = 0;
  std::vector<double> step_s;  // each timed repetition, sorted
  double peak_rss_mb = 0;
  std::vector<LayerTiming> layers;  // summed over the repetitions; empty unless asked for

  double median_s() const { return step_s[step_s.size() / 2]; }
  double images_per_s() const { return config.batch / median_s(); }
};

BenchResult run_benchmark(const BenchConfig& c);
nlohmann::json benchmark_json(const BenchResult& r);
void print_benchmark(const BenchResult& r);

// The input pipeline alone (decode, resize, crop, flip, colour noise): images/s over `batches`
// batches after one of warm-up.
double pipeline_images_per_s(const std::string& data, const std::string& arch, int batch, int workers, int batches);

}  // namespace alexnet
