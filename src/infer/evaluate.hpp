// Evaluation over a data set through the test-time path: centre crop or the paper's 10 crops
// (softmax outputs averaged), top-1 and top-5 error, loss, and a confusion matrix.
#pragma once
#include <string>
#include <vector>

#include "data/loader.hpp"
#include "model/network.hpp"
#include "infer/metrics.hpp"

namespace alexnet {

struct EvalResult {
  int64_t samples = 0;
  double loss_sum = 0, top1_correct = 0, top5_correct = 0;  // sums: shards add up
  double loss = 0, top1_error = 0, top5_error = 0;           // from the sums, by finish()
  Confusion confusion{0};
  std::vector<std::string> failed;  // files that did not decode
  void finish();
};

struct EvalOptions {
  int batch = 128;
  int workers = 1;
  bool ten_crop = false;
  bool strict = false;
  bool progress = false;  // a line on stderr while it runs
  int shard = 0, shards = 1;  // data parallelism: this process evaluates one shard
};

EvalResult evaluate(Network& net, const Dataset& data, const TransformConfig& tf,
                    const EvalOptions& opt);

}  // namespace alexnet
