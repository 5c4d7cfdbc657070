// alexnet train: the paper's recipe by default, a flag for each of its numbers.
#include <csignal>

#include "cli/commands.hpp"
#include "cli/train_args.hpp"
#include "model/arch.hpp"
#include "parallel/comm.hpp"
#include "train/plan.hpp"
#include "train/training_run.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

// "12m", "90s", "1.5h" or plain seconds.
double parse_duration(const std::string& s, const std::string& flag) {
  size_t used = 0;
  double v = -1;
  try {
    v = std::stod(s, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = s.substr(used);
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (!(v > 0) || scale < 0) throw UserError(flag + ": expected a duration such as 12m, 90s or 1h, got '" + s + "'");
  return v * scale;
}

// What is trained: the architecture, the data and how it is read.
void add_data_flags(CLI::App* c, TrainRequest& q) {
  TrainConfig& g = q.given;
  c->add_option("--arch", q.arch, arch_names_joined(" | ") + " (default: --init-from's, else alexnet-mini)");
  c->add_option("--data", g.data.data, "training data: image folder, list file or IDX directory");
  c->add_option("--val", g.data.val, "validation data (default: --val-split of the training data, held out)");
  c->add_option("--val-split", g.data.val_split,
                "without --val: share of the training data held out for validation, stratified by class "
                "(0: none)")->capture_default_str();
  c->add_option("--data-kind", g.data.data_kind, "auto | folder | list | idx")->capture_default_str();
  c->add_option("--out", g.out, "run directory (checkpoints, logs, best weights)");
  c->add_option("--stats", g.data.stats, "statistics file from `alexnet stats` (mean, std, PCA), or Caffe's mean .binaryproto");
}

// The recipe's numbers: epochs, batch, SGD, regularisation, initialisation, schedule, logs.
void add_recipe_flags(CLI::App* c, TrainRequest& q) {
  TrainConfig& g = q.given;
  c->add_option("--epochs", q.epochs, "epochs (default: 40 for alexnet-mini, 90 otherwise)");
  c->add_option("--batch", g.batch, "batch size")->capture_default_str();
  c->add_option("--lr", q.lr, "initial learning rate (default: 0.01; 0.05 for alexnet-mini)");
  c->add_option("--momentum", g.sgd.momentum, "momentum")->capture_default_str();
  c->add_option("--weight-decay", g.sgd.weight_decay, "weight decay")->capture_default_str();
  c->add_option("--dropout", g.reg.dropout, "dropout rate of fc6/fc7")->capture_default_str();
  c->add_option("--label-smoothing", q.label_smoothing,
                "the loss's target (1-e) onehot + e/classes (default: 0.1 for alexnet-mini, else 0: the paper's)");
  c->add_option("--ema", q.ema,
                "evaluate and keep an exponential moving average of the weights with this decay per step "
                "(default: 0, off: the paper's)");
  c->add_option("--init", q.init, "paper | kaiming (default: paper for alexnet, kaiming otherwise)");
  c->add_option("--init-from", g.fine_tune.init_from,
                "fine-tune: start from these weights (.safetensors; their architecture and normalisation; "
                "the classifier new when the classes differ)");
  c->add_option("--freeze", g.fine_tune.freeze,
                "fine-tune: layers that do not learn, e.g. conv1-conv5 or conv1,conv2 (no gradients, no update)");
  c->add_option("--reinit", g.fine_tune.reinit,
                "fine-tune: layers initialised afresh instead of copied, e.g. conv4-fc8 (the layers "
                "most specific to the old classes)");
  c->add_option("--lr-mult-new", g.fine_tune.lr_mult_new,
                "fine-tune: lr multiplier of the layers --init-from re-initialised (Caffe's recipe: 10)")
      ->capture_default_str();
  c->add_option("--schedule", q.schedule,
                "plateau (lr/10 when val error stops improving) | step | fixed | cosine "
                "(default: plateau; cosine for alexnet-mini)");
  c->add_option("--patience", g.schedule.patience, "plateau: epochs without improvement")->capture_default_str();
  c->add_option("--max-drops", g.schedule.max_drops, "plateau: most lr drops")->capture_default_str();
  c->add_option("--lr-steps", g.schedule.steps, "step: epochs (1-based) at which lr drops /10");
  c->add_option("--seed", g.seed, "random seed (init, order, augmentation, dropout)")->capture_default_str();
}

// The flags of a new run, each into the request (those the plan may decide stay unset).
void add_run_flags(CLI::App* c, TrainRequest& q, std::string& budget) {
  TrainConfig& g = q.given;
  add_data_flags(c, q);
  add_recipe_flags(c, q);
  c->add_option("--checkpoint-every", g.log.checkpoint_every, "also checkpoint every N steps");
  c->add_option("--print-every", g.log.print_every, "log every N steps")->capture_default_str();
  c->add_option("--stuck-steps", g.log.stuck_steps, "warn when the loss is still ln(classes) after N steps")->capture_default_str();
  c->add_flag("--strict", g.data.strict, "stop at the first file that does not decode");
  c->add_flag("!--no-pca", g.data.pca, "no fancy-PCA colour noise");
  c->add_flag("!--no-flip", g.data.flip, "no horizontal flips");
  c->add_option("--limit", g.data.limit, "use only the first N training samples");
  c->add_option("--val-limit", g.data.val_limit, "use only the first N validation samples");
  c->add_option("--time-budget", budget,
                "train for at most this wall time (e.g. 12m, 90s, 1h): the epochs that fit are planned "
                "from the step time measured first (at most --epochs)");
  c->add_option("--kill-after-steps", q.kill_after_steps, "testing: SIGKILL itself after N steps")->group("");
  c->add_option("--simulate-epoch-seconds", g.budget.simulate_epoch_seconds,
                "testing: re-plan the time budget as if each epoch took this long")->group("");
}

// The flags a resumed run may give: its place and how it uses the machines (MachineConfig).
constexpr const char* kMachineFlags = "Resuming, and using the machines";

// Every flag of `alexnet train` on `c`, into `q` and `budget`.
void add_train_flags(CLI::App* c, TrainRequest& q, std::string& budget) {
  add_run_flags(c, q, budget);
  c->add_option("--resume", q.resume, "continue the run in RUN_DIR from its last checkpoint")->group(kMachineFlags);
  MachineConfig& m = q.given.machine;
  c->add_option("--threads", m.threads, "compute threads (default: all cores, or as many as a CPU quota allows)")
      ->group(kMachineFlags);
  c->add_option("--workers", m.workers, "data loading threads")->capture_default_str()->group(kMachineFlags);
  // (The two enums are read from their names as the flags are parsed: a wrong one is the
  // command's one-line error.)
  c->add_option_function<std::string>(
       "--comm-progress", [&m](const std::string& s) { m.comm_progress = comm_progress_from_name(s); },
       "under mpirun: thread (a thread moves the gradients' reductions while the backward "
       "computes) | poke (only between layers); default thread")->group(kMachineFlags);
  c->add_option_function<std::string>(
       "--parallel", [&m](const std::string& s) { m.parallel = parallel_from_name(s); },
       "under mpirun: data (every layer data-parallel) | hybrid (fc6-fc8 model-parallel: "
       "the ranks exchange activations instead of the fc layers' gradients) | auto (hybrid "
       "unless the ranks outnumber the classes); default auto")->group(kMachineFlags);
}

// The parsed flags as a plan: a resumed run keeps its plan; only how it uses the machines
// (threads, loaders, communication, parallelism) may differ.
TrainPlan plan_from_flags(const CLI::App& c, TrainRequest& q, const std::string& budget) {
  if (!q.resume.empty())
    for (const CLI::Option* o : c.get_options())
      if (o->count() > 0 && o->get_group() != kMachineFlags)
        throw UserError(o->get_name() + " contradicts --resume: a resumed run keeps its configuration");
  if (!budget.empty()) q.given.budget.time_budget_s = parse_duration(budget, "--time-budget");
  return plan_training(q);
}

// --kill-after-steps (tests): the last rank (the only one without MPI) dies as a crashed machine
// would, after that global step.
std::function<void(int64_t)> kill_after(int64_t steps) {
  return [steps](int64_t global_step) {
    if (global_step == steps && comm().rank() == comm().size() - 1) raise(SIGKILL);
  };
}

}  // namespace

TrainPlan plan_from_train_args(const std::vector<std::string>& args) {
  CLI::App c{"alexnet train", "train"};
  TrainRequest q;
  std::string budget;
  add_train_flags(&c, q, budget);
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes them last first
  try {
    c.parse(reversed);
  } catch (const CLI::ParseError& e) {
    throw UserError(e.what());
  }
  return plan_from_flags(c, q, budget);
}

std::vector<std::pair<std::string, bool>> train_flags() {
  CLI::App c;
  TrainRequest q;
  std::string budget;
  add_train_flags(&c, q, budget);
  std::vector<std::pair<std::string, bool>> flags;
  for (const CLI::Option* o : c.get_options())
    if (!o->get_lnames().empty() && o->get_lnames().front() != "help" && !o->get_group().empty())  // not the hidden test hooks
      flags.emplace_back(o->get_lnames().front(), o->get_expected_max() == 0);
  return flags;
}

void add_train(CLI::App& app) {
  auto* c = app.add_subcommand("train", "train a network (SGD, momentum 0.9, weight decay 5e-4, batch 128)");
  auto q = std::make_shared<TrainRequest>();
  auto budget = std::make_shared<std::string>();
  add_train_flags(c, *q, *budget);
  c->callback([c, q, budget] {
    RunHooks hooks;
    if (q->kill_after_steps > 0) hooks.after_step = kill_after(q->kill_after_steps);
    exit_code = run_training(plan_from_flags(*c, *q, *budget), std::move(hooks));
  });
}

}  // namespace alexnet::cli
