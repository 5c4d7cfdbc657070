#include "infer/features.hpp"

#include <algorithm>
#include <cmath>

#include "util/error.hpp"

namespace alexnet {

Features extract_features(Network& net, const Dataset& data, const TransformConfig& tf,
                          const std::string& layer, int batch, int workers) {
  net.check_layer(layer);
  LoaderConfig lc;
  lc.batch = batch;
  lc.workers = workers;
  lc.train = false;
  lc.drop_last = false;
  Loader loader(data, tf, lc);
  loader.start_epoch(0);
  net.keep_output(layer);
  Features f;
  Batch b;
  while (loader.next(b)) {
    f.failed.insert(f.failed.end(), b.failed.begin(), b.failed.end());
    if (b.samples() == 0) continue;
    Tensor x(plain_md(net.input_shape(b.samples())), b.images.data());
    net.forward(x, Mode::eval);
    const Tensor out = net.output_of(layer);
    f.dim = out.size() / b.samples();
    f.values.insert(f.values.end(), out.data(), out.data() + out.size());
    for (int64_t idx : b.indices) f.names.push_back(data.name_of(idx)), f.indices.push_back(idx);
    f.rows += b.samples();
  }
  return f;
}

std::vector<Neighbour> nearest(const Features& f, const float* q, int k, int64_t skip_row) {
  std::vector<Neighbour> all;
  for (int64_t r = 0; r < f.rows; ++r) {
    if (r == skip_row) continue;
    const float* v = f.values.data() + r * f.dim;
    double d = 0;
    for (int64_t j = 0; j < f.dim; ++j) d += (v[j] - q[j]) * static_cast<double>(v[j] - q[j]);
    all.push_back({r, std::sqrt(d)});
  }
  const size_t n = std::min<size_t>(static_cast<size_t>(std::max(k, 0)), all.size());
  std::partial_sort(all.begin(), all.begin() + n, all.end(),
                    [](const Neighbour& a, const Neighbour& b) { return a.distance < b.distance || (a.distance == b.distance && a.row < b.row); });
  all.resize(n);
  return all;
}

}  // namespace alexnet
