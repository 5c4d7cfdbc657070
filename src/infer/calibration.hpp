// Post-training static quantization (kernels/quant.hpp): the ranges of the int8 layers' inputs
// measured on calibration images passed through the test-time pipeline, and the weights' scales.
//
// Each layer with parameters gets one input range from a histogram of the values it received
// (two passes: the largest magnitude, then 4096 bins up to it), by a rule:
//   max         the largest value seen (no clipping; one outlier stretches every step)
//   percentile  the value 99.99% of them stay under (clips the rarest outliers)
//   mse         the range whose expected squared error, clipping plus rounding, is least
// The input is unsigned (zero point 0, the whole u8 range) when a ReLU precedes the layer in
// the plan, else signed (zero point 128): the first layer's normalised image. Weights: 7 bits,
// one scale per output channel (max |w| / 63), so that a file computes the same on every CPU.
#pragma once
#include <string>
#include <vector>

#include "data/dataset.hpp"
#include "data/transform.hpp"
#include "model/network.hpp"

namespace alexnet {

struct CalibrationOptions {
  std::string rule = "mse";            // max | percentile | mse
  double percentile = 99.99;
  int batch = 50;
  int workers = 1;
  bool progress = false;               // lines on stderr while it runs
  std::vector<std::string> keep_f32;   // layers left in f32 (e.g. fc8)
};

void check_range_rule(const std::string& rule);  // a UserError naming the valid ones

// The quantization of every layer with parameters but those kept in f32, from `data` (every
// image of it: choose them before). The network's weights are replaced by their 7-bit values
// (w_scale * q): what the int8 kernels and a saved file compute with.
Quantization calibrate(Network& net, const Dataset& data, const TransformConfig& tf, const CalibrationOptions& o);

}  // namespace alexnet
