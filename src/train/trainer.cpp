#include "train/trainer.hpp"

#include <filesystem>

#include "model/arch.hpp"
#include "formats/weights.hpp"
#include "train/training_run.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace fs = std::filesystem;
using json = nlohmann::json;

// config.json: every field a run needs to continue exactly (the test hook and the "was this
// set by the user" flags are not part of a run's configuration).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(SgdConfig, lr, momentum, weight_decay)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ScheduleConfig, kind, base_lr, factor, patience, max_drops, threshold, steps,
                                   epochs, min_lr)
// (WITH_DEFAULT: a config.json written before a field existed reads it as its default.)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TrainConfig, arch, data, val, out, data_kind, stats, epochs, batch, sgd, dropout,
                                   init, seed, threads, workers, schedule, checkpoint_every, print_every,
                                   stuck_steps, strict, pca, flip, limit, val_limit, val_split,
                                   time_budget_s, planned_epochs, init_from, freeze, reinit, lr_mult_new,
                                   new_params)

json to_json(const TrainConfig& c) {
  json j;
  to_json(j, c);
  return j;
}

TrainConfig train_config_from_json(const json& j) {
  TrainConfig c = j.get<TrainConfig>();
  c.schedule_set = c.lr_set = true;  // the saved run's choices, defaults included
  return c;
}

void apply_arch_defaults(TrainConfig& c) {
  const ArchSpec& a = arch_by_name(c.arch);
  if (c.init.empty()) c.init = a.default_init == InitKind::paper ? "paper" : "kaiming";
  if (c.init != "paper" && c.init != "kaiming") fail("--init: expected paper or kaiming, got '" + c.init + "'");
  if (c.epochs == 0) c.epochs = a.name == "alexnet-mini" ? kMiniEpochs : 90;
  if (!c.schedule_set) {
    if (a.name == "alexnet-mini") {
      // Measured to reach 91% on Fashion-MNIST within 15 minutes on 2 cores (README).
      c.schedule.kind = "cosine";
      if (!c.lr_set) c.sgd.lr = kMiniLr;
    } else {
      c.schedule.kind = "plateau";  // the paper: /10 when the validation error stops improving
    }
  }
  // Fine-tuning starts from weights that already work: a tenth of the from-scratch lr, as
  // Caffe's fine-tuning recipe does (README: measured).
  if (!c.init_from.empty() && !c.lr_set) c.sgd.lr /= 10;
  c.schedule.base_lr = c.sgd.lr;
  c.schedule.epochs = c.epochs;
  if (c.epochs < 1) fail("--epochs must be at least 1");
  if (c.batch < 1) fail("--batch must be at least 1");
  if (!(c.dropout >= 0 && c.dropout < 1)) fail("--dropout must be in [0, 1)");
}

int train(TrainConfig cfg, bool resume) {
  if (cfg.out.empty()) fail("--out RUN_DIR is required");
  const std::string cfg_path = cfg.out + "/config.json", ckpt_path = cfg.out + "/checkpoint.safetensors";
  std::unique_ptr<LoadedModel> source;  // --init-from's weights, read once
  if (resume) {
    if (!fs::exists(ckpt_path)) fail(cfg.out + ": no checkpoint.safetensors to resume from");
    const int threads = cfg.threads, workers = cfg.workers;
    try {
      cfg = train_config_from_json(json::parse(read_file(cfg_path)));
    } catch (const json::exception& e) {
      fail(cfg_path + ": not a valid run configuration (" + e.what() + ")");
    }
    if (threads > 0) cfg.threads = threads;  // the machine may differ; the results do not
    cfg.workers = workers;
  } else {
    if (cfg.data.empty()) fail("--data is required");
    if (fs::exists(ckpt_path))
      fail(cfg.out + ": holds a run already; use --resume " + cfg.out + " or another --out");
    if (!cfg.init_from.empty()) {  // the architecture comes from the weights
      source = std::make_unique<LoadedModel>(load_model(cfg.init_from, cfg.arch_set ? cfg.arch : ""));
      cfg.arch = source->info.arch;
    }
    apply_arch_defaults(cfg);
  }
  TrainingRun run(std::move(cfg), resume, std::move(source));
  return run.run();
}

}  // namespace alexnet
