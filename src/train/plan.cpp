#include "train/plan.hpp"

#include <cmath>
#include <filesystem>

#include "model/arch.hpp"
#include "parallel/comm.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// alexnet-mini's defaults on Fashion-MNIST, chosen by measurement on the validation split
// (docs/training.md). 40 epochs fit a 14-minute budget on 2 fast cores; a slower machine's
// --time-budget plans fewer.
constexpr int kMiniEpochs = 40;
constexpr float kMiniLr = 0.05f;
constexpr float kMiniLabelSmoothing = 0.1f;
constexpr float kMiniEma = 0.f;

// What a run's configuration must hold, whether it comes from flags or from config.json.
void check_config(const TrainConfig& c) {
  arch_by_name(c.arch);
  if (c.epochs < 1) fail("--epochs must be at least 1");
  if (c.batch < 1) fail("--batch must be at least 1");
  if (!(c.reg.dropout >= 0 && c.reg.dropout < 1)) fail("--dropout must be in [0, 1)");
  if (!(c.sgd.lr > 0 && std::isfinite(c.sgd.lr))) fail("--lr must be a positive number");
  if (!(c.reg.label_smoothing >= 0 && c.reg.label_smoothing < 1)) fail("--label-smoothing must be in [0, 1)");
  if (!(c.reg.ema >= 0 && c.reg.ema < 1)) fail("--ema must be in [0, 1) (0: off)");
  if (!c.schedule.steps.empty() && c.schedule.kind != ScheduleKind::step) fail("--lr-steps needs --schedule step");
  if (!c.fine_tune.reinit.empty() && c.fine_tune.init_from.empty()) fail("--reinit needs --init-from");
  if (c.budget.planned_epochs < 0 || c.budget.max_epochs < 0 || c.data.limit < 0 || c.data.val_limit < 0 || c.log.checkpoint_every < 0 ||
      !(c.data.val_split >= 0 && c.data.val_split < 1) || !(c.budget.time_budget_s >= 0))
    fail("a count, share or budget is out of range");
}

// Fills what the architecture decides where the request left it open.
void apply_arch_defaults(const TrainRequest& q, TrainConfig& c) {
  const ArchSpec& a = arch_by_name(c.arch);
  const bool mini = a.name == "alexnet-mini";
  c.init = q.init ? init_from_name(*q.init) : a.default_init;
  c.epochs = q.epochs.value_or(mini ? kMiniEpochs : 90);
  // The paper: /10 when the validation error stops improving; a cosine over 40 epochs for mini.
  c.schedule.kind = q.schedule ? schedule_from_name(*q.schedule) : mini ? ScheduleKind::cosine : ScheduleKind::plateau;
  c.sgd.lr = q.lr.value_or(mini && !q.schedule ? kMiniLr : c.sgd.lr);
  c.reg.label_smoothing = q.label_smoothing.value_or(mini ? kMiniLabelSmoothing : 0.f);
  c.reg.ema = q.ema.value_or(mini ? kMiniEma : 0.f);
  // Fine-tuning starts from weights that already work: a tenth of the from-scratch lr, as
  // Caffe's fine-tuning recipe does (docs/training.md: measured).
  if (!c.fine_tune.init_from.empty() && !q.lr) c.sgd.lr /= 10;
  c.schedule.base_lr = c.sgd.lr;
  c.schedule.epochs = c.epochs;
  check_config(c);
}

// A resumed run: its config.json as it was, with this machine's threads, workers,
// communication progress and kind of parallelism.
TrainPlan plan_resume(const TrainRequest& q) {
  if (!fs::exists(q.resume + "/checkpoint.safetensors"))
    fail(q.resume + ": no checkpoint.safetensors to resume from");
  TrainPlan p;
  p.resume = true;
  p.cfg = read_run_config(q.resume);
  const int threads = p.cfg.machine.threads;
  p.cfg.machine = q.given.machine;  // the machines may differ; the results do not
  if (p.cfg.machine.threads == 0) p.cfg.machine.threads = threads;
  check_config(p.cfg);
  return p;
}

}  // namespace

TrainConfig read_run_config(const std::string& run_dir) {
  const std::string cfg_path = run_dir + "/config.json";
  if (!fs::exists(cfg_path)) fail(run_dir + ": no config.json (not a training run's folder)");
  TrainConfig c;
  try {
    c = train_config_from_json(json::parse(read_file(cfg_path)));
    check_config(c);
  } catch (const json::exception& e) {
    fail(cfg_path + ": not a valid run configuration (" + e.what() + ")");
  } catch (const UserError& e) {
    fail(cfg_path + ": not a valid run configuration (" + e.what() + ")");
  }
  c.out = run_dir;
  return c;
}

TrainPlan plan_training(TrainRequest q) {
  if (!q.resume.empty()) return plan_resume(q);
  TrainPlan p;
  p.cfg = q.given;
  TrainConfig& c = p.cfg;
  if (c.out.empty()) fail("--out RUN_DIR is required");
  if (c.data.data.empty()) fail("--data is required");
  if (fs::exists(c.out + "/checkpoint.safetensors"))
    fail(c.out + ": holds a run already; use --resume " + c.out + " or another --out");
  c.arch = q.arch.value_or("alexnet-mini");
  if (!c.fine_tune.init_from.empty()) {  // the architecture comes from the weights, unless --arch says
    p.source = std::make_unique<LoadedModel>(load_model(c.fine_tune.init_from, q.arch.value_or("")));
    c.arch = p.source->info.arch;
  }
  apply_arch_defaults(q, c);
  return p;
}

}  // namespace alexnet
