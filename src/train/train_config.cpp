#include "train/train_config.hpp"

#include "util/enum_names.hpp"

namespace alexnet {

using json = nlohmann::json;

namespace {
constexpr EnumName<ParallelMode> kParallelNames[] = {
    {ParallelMode::automatic, "auto"}, {ParallelMode::data, "data"}, {ParallelMode::hybrid, "hybrid"}};
}  // namespace

ParallelMode parallel_from_name(const std::string& name) { return enum_from_name(kParallelNames, name, "--parallel"); }
const char* name_of(ParallelMode mode) { return enum_name(kParallelNames, mode); }

// config.json spells the enums as the flags do; an unknown name is a UserError there too.
void to_json(json& j, InitKind k) { j = name_of(k); }
void from_json(const json& j, InitKind& k) { k = init_from_name(j.get<std::string>()); }
void to_json(json& j, ScheduleKind k) { j = name_of(k); }
void from_json(const json& j, ScheduleKind& k) { k = schedule_from_name(j.get<std::string>()); }
void to_json(json& j, CommProgress p) { j = name_of(p); }
void from_json(const json& j, CommProgress& p) { p = comm_progress_from_name(j.get<std::string>()); }
void to_json(json& j, ParallelMode m) { j = name_of(m); }
void from_json(const json& j, ParallelMode& m) { m = parallel_from_name(j.get<std::string>()); }

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
  c.init = j.at("init").get<InitKind>(), c.seed = j.value("seed", c.seed);  // init: in every config.json
  c.sgd = j.value("sgd", c.sgd), c.schedule = j.value("schedule", c.schedule);
  c.amendments = j.value("amendments", c.amendments);
  j.get_to(c.data), j.get_to(c.reg), j.get_to(c.fine_tune), j.get_to(c.budget), j.get_to(c.machine), j.get_to(c.log);
  return c;
}

}  // namespace alexnet
