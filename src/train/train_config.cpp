#include "train/train_config.hpp"

namespace alexnet {

using json = nlohmann::json;

// config.json: every field a run needs to continue exactly.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SgdConfig, lr, momentum, weight_decay)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScheduleConfig, kind, base_lr, factor, patience, max_drops, threshold, steps,
                                   epochs, min_lr)
// (WITH_DEFAULT: a config.json written before a field existed reads it as its default.)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DataConfig, data, val, data_kind, stats, limit, val_limit, val_split,
                                                strict, pca, flip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Regularization, dropout, label_smoothing, ema)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(FineTuneConfig, init_from, freeze, reinit, lr_mult_new, new_params)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(BudgetConfig, time_budget_s, planned_epochs, max_epochs,
                                                simulate_epoch_seconds)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(MachineConfig, threads, workers, comm_progress, parallel)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LogConfig, checkpoint_every, print_every, stuck_steps)

json to_json(const TrainConfig& c) {
  json j = {{"arch", c.arch}, {"out", c.out}, {"epochs", c.epochs}, {"batch", c.batch}, {"init", c.init},
            {"seed", c.seed}, {"sgd", c.sgd}, {"schedule", c.schedule}, {"amendments", c.amendments}};
  for (const json& part : {json(c.data), json(c.reg), json(c.fine_tune), json(c.budget), json(c.machine), json(c.log)})
    j.update(part);
  return j;
}

TrainConfig train_config_from_json(const json& j) {
  TrainConfig c;
  c.arch = j.value("arch", c.arch), c.out = j.value("out", c.out);
  c.epochs = j.value("epochs", c.epochs), c.batch = j.value("batch", c.batch);
  c.init = j.value("init", c.init), c.seed = j.value("seed", c.seed);
  c.sgd = j.value("sgd", c.sgd), c.schedule = j.value("schedule", c.schedule);
  c.amendments = j.value("amendments", c.amendments);
  j.get_to(c.data), j.get_to(c.reg), j.get_to(c.fine_tune), j.get_to(c.budget), j.get_to(c.machine), j.get_to(c.log);
  return c;
}

}  // namespace alexnet
