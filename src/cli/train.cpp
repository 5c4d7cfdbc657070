// alexnet train: the paper's recipe by default, a flag for each of its numbers.
#include "cli/commands.hpp"
#include "train/trainer.hpp"
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

}  // namespace

void add_train(CLI::App& app) {
  auto* c = app.add_subcommand("train", "train a network (SGD, momentum 0.9, weight decay 5e-4, batch 128)");
  auto cfg = std::make_shared<TrainConfig>();
  auto resume = std::make_shared<std::string>();
  auto schedule = std::make_shared<std::string>();
  c->add_option("--arch", cfg->arch, "alexnet | alexnet-torchvision | alexnet-mini | alexnet-caffe (default: --init-from's, else alexnet-mini)");
  c->add_option("--data", cfg->data, "training data: image folder, list file or IDX directory");
  c->add_option("--val", cfg->val, "validation data (default: --val-split of the training data, held out)");
  c->add_option("--val-split", cfg->val_split,
                "without --val: share of the training data held out for validation, stratified by class "
                "(0: none)")->capture_default_str();
  c->add_option("--data-kind", cfg->data_kind, "auto | folder | list | idx")->capture_default_str();
  c->add_option("--out", cfg->out, "run directory (checkpoints, logs, best weights)");
  c->add_option("--resume", *resume, "continue the run in RUN_DIR from its last checkpoint");
  c->add_option("--stats", cfg->stats, "statistics file from `alexnet stats` (mean, std, PCA)");
  c->add_option("--epochs", cfg->epochs, "epochs (default: 30 for alexnet-mini, 90 otherwise)");
  c->add_option("--batch", cfg->batch, "batch size")->capture_default_str();
  c->add_option("--lr", cfg->sgd.lr, "initial learning rate (default: 0.01; 0.05 for alexnet-mini)");
  c->add_option("--momentum", cfg->sgd.momentum, "momentum")->capture_default_str();
  c->add_option("--weight-decay", cfg->sgd.weight_decay, "weight decay")->capture_default_str();
  c->add_option("--dropout", cfg->dropout, "dropout rate of fc6/fc7")->capture_default_str();
  c->add_option("--init", cfg->init, "paper | kaiming (default: paper for alexnet, kaiming otherwise)");
  c->add_option("--init-from", cfg->init_from,
                "fine-tune: start from these weights (.safetensors; their architecture and normalisation; "
                "the classifier new when the classes differ)");
  c->add_option("--freeze", cfg->freeze,
                "fine-tune: layers that do not learn, e.g. conv1-conv5 or conv1,conv2 (no gradients, no update)");
  c->add_option("--reinit", cfg->reinit,
                "fine-tune: layers initialised afresh instead of copied, e.g. conv4-fc8 (the layers "
                "most specific to the old classes)");
  c->add_option("--lr-mult-new", cfg->lr_mult_new,
                "fine-tune: lr multiplier of the layers --init-from re-initialised (Caffe's recipe: 10)")
      ->capture_default_str();
  c->add_option("--schedule", *schedule,
                "plateau (lr/10 when val error stops improving) | step | fixed | cosine "
                "(default: plateau; cosine for alexnet-mini)");
  c->add_option("--patience", cfg->schedule.patience, "plateau: epochs without improvement")->capture_default_str();
  c->add_option("--max-drops", cfg->schedule.max_drops, "plateau: most lr drops")->capture_default_str();
  c->add_option("--lr-steps", cfg->schedule.steps, "step: epochs (1-based) at which lr drops /10");
  c->add_option("--seed", cfg->seed, "random seed (init, order, augmentation, dropout)")->capture_default_str();
  c->add_option("--threads", cfg->threads, "compute threads (default: all cores)");
  c->add_option("--workers", cfg->workers, "data loading threads")->capture_default_str();
  c->add_option("--checkpoint-every", cfg->checkpoint_every, "also checkpoint every N steps");
  c->add_option("--print-every", cfg->print_every, "log every N steps")->capture_default_str();
  c->add_option("--stuck-steps", cfg->stuck_steps, "warn when the loss is still ln(classes) after N steps")->capture_default_str();
  c->add_flag("--strict", cfg->strict, "stop at the first file that does not decode");
  c->add_flag("!--no-pca", cfg->pca, "no fancy-PCA colour noise");
  c->add_flag("!--no-flip", cfg->flip, "no horizontal flips");
  c->add_option("--limit", cfg->limit, "use only the first N training samples");
  c->add_option("--val-limit", cfg->val_limit, "use only the first N validation samples");
  auto budget = std::make_shared<std::string>();
  c->add_option("--time-budget", *budget,
                "train for at most this wall time (e.g. 12m, 90s, 1h): the epochs that fit are planned "
                "from the step time measured first (at most --epochs)");
  c->add_option("--kill-after-steps", cfg->kill_after_steps, "testing: SIGKILL itself after N steps")->group("");
  c->callback([c, cfg, resume, schedule, budget] {
    if (!resume->empty()) {
      for (const char* f : {"--data", "--arch", "--out", "--epochs", "--lr", "--batch", "--schedule", "--init", "--init-from", "--seed", "--freeze", "--reinit", "--lr-mult-new",
                            "--time-budget", "--val-split"})
        if (c->count(f) > 0)
          throw UserError(std::string(f) + " contradicts --resume: a resumed run keeps its configuration");
      TrainConfig r;
      r.out = *resume;
      r.threads = cfg->threads;
      r.workers = cfg->workers;
      exit_code = train(r, true);
      return;
    }
    if (!schedule->empty()) {
      cfg->schedule.kind = *schedule;
      cfg->schedule_set = true;
    }
    if (c->count("--lr-steps") > 0 && cfg->schedule.kind != "step")
      throw UserError("--lr-steps needs --schedule step");
    if (!cfg->reinit.empty() && cfg->init_from.empty()) throw UserError("--reinit needs --init-from");
    cfg->lr_set = c->count("--lr") > 0;
    cfg->arch_set = c->count("--arch") > 0;
    if (!budget->empty()) cfg->time_budget_s = parse_duration(*budget, "--time-budget");
    exit_code = train(*cfg, false);
  });
}

}  // namespace alexnet::cli
