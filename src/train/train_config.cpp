#include "train/train_config.hpp"

namespace alexnet {

using json = nlohmann::json;

// config.json: every field a run needs to continue exactly (the test hook is not part of a
// run's configuration).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SgdConfig, lr, momentum, weight_decay)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScheduleConfig, kind, base_lr, factor, patience, max_drops, threshold, steps,
                                   epochs, min_lr)
// (WITH_DEFAULT: a config.json written before a field existed reads it as its default.)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, arch, data, val, out, data_kind, stats, epochs, batch, sgd, dropout,
                                   label_smoothing, ema,
                                   init, seed, threads, workers, comm_progress, parallel, schedule, checkpoint_every, print_every,
                                   stuck_steps, strict, pca, flip, limit, val_limit, val_split,
                                   time_budget_s, planned_epochs, max_epochs, simulate_epoch_seconds, init_from, freeze, reinit, lr_mult_new,
                                   new_params, amendments)

json to_json(const TrainConfig& c) {
  json j;
  to_json(j, c);
  return j;
}

TrainConfig train_config_from_json(const json& j) { return j.get<TrainConfig>(); }

}  // namespace alexnet
