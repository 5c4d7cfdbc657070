#include "train/run_setup.hpp"

#include <algorithm>

#include "data/stats.hpp"
#include "parallel/comm.hpp"
#include "util/error.hpp"

namespace alexnet {

void check_run_data(const RunData& d, const TrainConfig& cfg, int ranks) {
  const int classes = d.train->classes();
  if (d.val && d.val->classes() > classes)
    fail(d.val->path() + ": has labels up to " + std::to_string(d.val->classes() - 1) + ", the training set only " +
         std::to_string(classes) + " classes");
  if (cfg.batch < ranks)
    fail("--batch " + std::to_string(cfg.batch) + " is smaller than the " + std::to_string(ranks) +
         " ranks it is split across");
  if (d.train->size() < ranks)
    fail(cfg.data.data + ": " + std::to_string(d.train->size()) + " training samples, fewer than the " +
         std::to_string(ranks) + " ranks");
}

TransformConfig training_transform(const ArchSpec& arch, const TrainConfig& cfg, const Dataset& train,
                                   const LoadedModel* source, ModelInfo& info) {
  TransformConfig tf;
  tf.resize = arch.resize, tf.crop = arch.crop;
  tf.flip = cfg.data.flip;
  tf.pca_std = cfg.data.pca ? 0.1f : 0.f;
  tf.norm = arch.default_norm;
  tf.bgr = arch.bgr;
  info.arch = arch.name;
  info.class_names = train.class_names();
  if (!cfg.data.stats.empty() || arch.default_norm_from_data) {
    const DataStats st = !cfg.data.stats.empty() ? load_stats(cfg.data.stats) : compute_stats(train, arch.resize, 10000, 2);
    if (st.resize != arch.resize)
      fail(cfg.data.stats + ": statistics for side " + std::to_string(st.resize) + ", " + arch.name + " needs " +
           std::to_string(arch.resize));
    tf.pca = st.pca;
    if (arch.mean_image)
      tf.mean_image = info.mean_image = st.mean_image;  // the paper: subtract the mean image, no scaling
    else
      tf.norm = st.norm;
  }
  info.norm = tf.norm;
  // Fine-tuning: the network learned on inputs normalised its way, so that travels with it.
  if (source && cfg.data.stats.empty()) {
    if (source->info.norm) tf.norm = *source->info.norm, info.norm = source->info.norm;
    if (!source->info.mean_image.empty()) tf.mean_image = info.mean_image = source->info.mean_image;
  }
  return tf;
}

LoaderConfig training_loader(const TrainConfig& cfg, const Comm& cm) {
  LoaderConfig lc;
  lc.batch = cfg.batch;
  lc.workers = cfg.machine.workers;
  lc.train = true;
  lc.strict = cfg.data.strict;
  lc.seed = cfg.seed;
  lc.shard = cm.rank(), lc.shards = cm.size();
  return lc;
}

std::vector<ParamRange> update_ranges(const Network& net, const TrainConfig& cfg) {
  std::vector<ParamRange> ranges;
  const float* base = net.values();
  for (Param* p : net.params()) {
    if (net.is_frozen(p)) continue;
    const bool fresh = std::find(cfg.fine_tune.new_params.begin(), cfg.fine_tune.new_params.end(), p->name) != cfg.fine_tune.new_params.end();
    const float mult = fresh ? cfg.fine_tune.lr_mult_new : 1.f;
    const Network::Part part = net.owned_part(p);  // hybrid: this rank's slice of an fc layer
    const int64_t off = p->value - base + part.begin;
    if (!ranges.empty() && ranges.back().lr_mult == mult && ranges.back().offset + ranges.back().size == off)
      ranges.back().size += part.count;
    else
      ranges.push_back({off, part.count, mult});
  }
  return ranges;
}

}  // namespace alexnet
