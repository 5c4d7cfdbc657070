#include "train/hybrid_sync.hpp"

#include <algorithm>
#include <cstdio>

#include "model/layer_plan.hpp"
#include "model/network.hpp"
#include "parallel/comm.hpp"
#include "train/weight_average.hpp"
#include "util/error.hpp"

namespace alexnet {

ModelSplit choose_model_split(const TrainConfig& cfg, Comm& cm, const ArchSpec& arch, int classes) {
  ModelSplit split;
  if (cfg.machine.parallel == ParallelMode::data || !cm.distributed()) return split;
  int narrowest = classes;
  for (const LayerSpec& l : layer_plan(arch, classes))
    if (l.kind == LayerKind::linear) narrowest = std::min(narrowest, static_cast<int>(l.out[0]));
  if (narrowest < cm.size()) {
    const std::string why = std::to_string(cm.size()) + " ranks are more than the " + std::to_string(narrowest) +
                            " neurons of the narrowest fc layer";
    if (cfg.machine.parallel == ParallelMode::hybrid)
      fail("--parallel hybrid splits each fc layer's neurons across the ranks: " + why + " (use --parallel data)");
    if (cm.leader()) std::printf("training data-parallel: %s, which hybrid parallelism splits across the ranks\n", why.c_str());
    return split;
  }
  split.rank = cm.rank(), split.ranks = cm.size(), split.comm = &cm;
  return split;
}

bool HybridSync::set_rows(Network& net, int rows) {
  if (!net.model_parallel()) return true;
  const std::vector<int64_t> all = cm_.allgather_count(rows);
  if (*std::min_element(all.begin(), all.end()) == 0) return false;
  net.set_batch_rows(all);
  return true;
}

void HybridSync::share(Network& net, WeightAverage* average) {
  if (!net.model_parallel() || shared_) return;
  share_buffer(net, net.values());
  share_buffer(net, net.momenta());
  if (average) share_buffer(net, average->data());
  net.params_changed();
  shared_ = true;
}

// `buffer` is laid out as the network's values: each rank's rows of every sliced fc parameter
// gathered in place.
void HybridSync::share_buffer(Network& net, float* buffer) {
  const ModelSplit& split = net.split();
  for (Param* p : net.params()) {
    if (!net.owned_part(p).sliced) continue;
    const int64_t row = p->size() / p->shape[0];  // weights [out, in], biases [out]
    std::vector<int64_t> counts;
    for (int k = 0; k < split.ranks; ++k) counts.push_back(split.share(p->shape[0], k) * row);
    cm_.allgather_in_place(buffer + (p->value - net.values()), counts);
  }
}

}  // namespace alexnet
