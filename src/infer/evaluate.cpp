#include "infer/evaluate.hpp"

#include <cmath>
#include <cstdio>

#include "layers/softmax_xent.hpp"
#include "util/error.hpp"

namespace alexnet {

EvalResult evaluate(Network& net, const Dataset& data, const TransformConfig& tf,
                    const EvalOptions& opt) {
  const int k = net.classes();
  if (data.classes() > k)
    fail(data.path() + ": has " + std::to_string(data.classes()) + " classes, the network " +
         std::to_string(k));
  LoaderConfig lc;
  lc.batch = opt.batch;
  lc.workers = opt.workers;
  lc.train = false;
  lc.ten_crop = opt.ten_crop;
  lc.drop_last = false;
  lc.strict = opt.strict;
  lc.shard = opt.shard;
  lc.shards = opt.shards;
  Loader loader(data, tf, lc);
  loader.start_epoch(0);
  EvalResult r;
  r.confusion = Confusion(k);
  Batch b;
  const int64_t batches = loader.batches_per_epoch();
  while (loader.next(b)) {
    r.failed.insert(r.failed.end(), b.failed.begin(), b.failed.end());
    const int n = b.samples();
    if (n == 0) continue;
    Tensor x(plain_md(net.input_shape(n * b.views)), b.images.data());
    Tensor probs = softmax(net.forward(x, Mode::eval));
    const std::vector<float> p = average_views(probs.data(), n, b.views, k);
    for (int i = 0; i < n; ++i) {
      const float* row = p.data() + static_cast<size_t>(i) * k;
      const int32_t y = b.labels[i];
      r.loss_sum -= std::log(std::max(row[y], 1e-30f));
      r.top1_correct += in_top_k(row, k, y, 1);
      r.top5_correct += in_top_k(row, k, y, std::min(5, k));
      r.confusion.add(y, argmax(row, k));
    }
    r.samples += n;
    if (opt.progress)
      std::fprintf(stderr, "\r  eval %lld/%lld batches", static_cast<long long>(b.number + 1),
                   static_cast<long long>(batches));
  }
  if (opt.progress) std::fprintf(stderr, "\r%40s\r", "");
  if (opt.shards == 1) r.finish();
  return r;
}

void EvalResult::finish() {
  if (samples == 0) fail("no sample could be evaluated (none decodes)");
  loss = loss_sum / samples;
  top1_error = 1.0 - top1_correct / samples;
  top5_error = 1.0 - top5_correct / samples;
}

}  // namespace alexnet
