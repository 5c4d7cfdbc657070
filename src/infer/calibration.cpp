#include "infer/calibration.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/loader.hpp"
#include "model/layer_plan.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

constexpr int kBins = 4096;

// What one int8 layer's input looked like over the calibration images.
struct InputStats {
  std::string layer, weight;  // the layer and its weight tensor's name
  std::string source;         // the layer whose output it reads ("": the image)
  bool is_signed = false;
  double largest = 0;         // max |x|
  std::vector<double> hist;   // |x| in kBins bins over [0, largest]
  int levels() const { return is_signed ? 127 : 255; }
};

// The int8 layers' inputs, walking the plan: unsigned after a ReLU (through pooling, LRN,
// flatten and dropout, which keep values non-negative), signed otherwise.
std::vector<InputStats> plan_inputs(const Network& net, const std::vector<std::string>& keep_f32) {
  std::vector<InputStats> out;
  std::string source;
  bool after_relu = false;
  for (const LayerSpec& l : layer_plan(net.arch(), net.classes())) {
    if (l.has_params()) {
      if (std::find(keep_f32.begin(), keep_f32.end(), l.name) == keep_f32.end())
        out.push_back({l.name, l.weight(), source, !after_relu, 0, std::vector<double>(kBins, 0.0)});
      after_relu = l.relu;
    }
    source = l.name;
  }
  return out;
}

// One pass over the images: the largest magnitudes (first) or the histograms (second).
void pass(Network& net, const Dataset& data, const TransformConfig& tf, const CalibrationOptions& o,
          std::vector<InputStats>& stats, bool histograms) {
  LoaderConfig lc;
  lc.batch = o.batch, lc.workers = o.workers, lc.train = false, lc.drop_last = false;
  Loader loader(data, tf, lc);
  loader.start_epoch(0);
  Batch b;
  int64_t images = 0;
  while (loader.next(b)) {
    if (b.samples() == 0) continue;
    Tensor x(plain_md(net.input_shape(b.samples())), b.images.data());
    net.forward(x, Mode::eval);
    images += b.samples();
    for (InputStats& s : stats) {
      const Tensor t = s.source.empty() ? x : net.output_of(s.source);
      const float* v = t.data();
      if (!histograms) {
        for (int64_t i = 0; i < t.size(); ++i) s.largest = std::max(s.largest, double(std::abs(v[i])));
        continue;
      }
      const double per_bin = kBins / std::max(s.largest, 1e-30);
      for (int64_t i = 0; i < t.size(); ++i)
        s.hist[std::min<int64_t>(kBins - 1, static_cast<int64_t>(std::abs(v[i]) * per_bin))] += 1;
    }
    if (o.progress)
      std::fprintf(stderr, "\r  calibrating: pass %d of 2, %lld of %lld images", histograms ? 2 : 1,
                   static_cast<long long>(images), static_cast<long long>(data.size()));
  }
  if (images == 0) fail(data.path() + ": no calibration image decodes");
}

// The input's range by the rule: values beyond it are clipped, those within rounded to levels steps.
double input_range(const InputStats& s, const CalibrationOptions& o) {
  const double bin = s.largest / kBins;
  double total = 0;
  for (double h : s.hist) total += h;
  if (o.rule == "max" || total == 0) return s.largest;
  if (o.rule == "percentile") {
    double seen = 0;
    for (int b = 0; b < kBins; ++b)
      if ((seen += s.hist[b]) >= total * o.percentile / 100) return (b + 1) * bin;
    return s.largest;
  }
  double best = s.largest, least = INFINITY;  // mse: ranges at every 16th bin edge
  for (int c_bin = 16; c_bin <= kBins; c_bin += 16) {
    const double c = c_bin * bin, step = c / s.levels();
    double err = 0;
    for (int b = 0; b < kBins; ++b) {
      const double v = (b + 0.5) * bin;
      err += s.hist[b] * (v <= c ? step * step / 12 : (v - c) * (v - c));
    }
    if (err < least) least = err, best = c;
  }
  return best;
}

// Per output channel max |w| / 63, and the weights replaced by their 7-bit values.
std::vector<float> quantize_layer_weights(Param& w) {
  const int64_t out = w.shape[0], per_out = w.size() / out;
  std::vector<float> scale(out);
  for (int64_t o = 0; o < out; ++o) {
    float largest = 0;
    for (int64_t i = o * per_out; i < (o + 1) * per_out; ++i) largest = std::max(largest, std::abs(w.value[i]));
    scale[o] = largest > 0 ? largest / 63 : 1.f;
    for (int64_t i = o * per_out; i < (o + 1) * per_out; ++i)
      w.value[i] = std::clamp(std::nearbyint(w.value[i] / scale[o]), -63.f, 63.f) * scale[o];
  }
  return scale;
}

}  // namespace

void check_range_rule(const std::string& rule) {
  if (rule != "max" && rule != "percentile" && rule != "mse")
    fail("--range " + rule + ": not a rule (max | percentile | mse)");
}

Quantization calibrate(Network& net, const Dataset& data, const TransformConfig& tf, const CalibrationOptions& o) {
  check_range_rule(o.rule);
  const std::vector<std::string> layers = net.layers_with_params();
  for (const std::string& l : o.keep_f32)
    if (std::find(layers.begin(), layers.end(), l) == layers.end())
      fail("--keep-f32 " + l + ": not a layer with weights of " + net.arch().name);
  if (!net.quantization().empty()) internal_error("calibrate: the network is quantized already");
  std::vector<InputStats> stats = plan_inputs(net, o.keep_f32);
  for (const InputStats& s : stats)
    if (!s.source.empty()) net.keep_output(s.source);
  pass(net, data, tf, o, stats, false);
  pass(net, data, tf, o, stats, true);
  if (o.progress) std::fprintf(stderr, "\r%60s\r", "");
  Quantization q;
  for (const InputStats& s : stats) {
    auto lq = std::make_shared<LayerQuant>();
    const double range = input_range(s, o);
    lq->in_scale = range > 0 ? static_cast<float>(range / s.levels()) : 1.f;
    lq->in_zero = s.is_signed ? 128 : 0;
    lq->w_scale = quantize_layer_weights(*net.find_param(s.weight));
    q[s.layer] = lq;
  }
  net.set_quantization(q);  // rounds the biases too
  net.params_changed();
  return q;
}

}  // namespace alexnet
