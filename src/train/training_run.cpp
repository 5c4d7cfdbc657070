#include "train/training_run.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "data/loader.hpp"
#include "parallel/comm.hpp"
#include "tensor/engine.hpp"
#include "infer/metrics.hpp"
#include "train/init_from.hpp"
#include "train/layer_list.hpp"
#include "train/rank_sums.hpp"
#include "train/run_setup.hpp"
#include "train/time_budget.hpp"
#include "util/error.hpp"
#include "util/rng.hpp"

namespace alexnet {

using json = nlohmann::json;

// ---- setup -------------------------------------------------------------------------------

TrainingRun::TrainingRun(TrainPlan plan, RunHooks hooks)
    : cfg_(std::move(plan.cfg)), cm_(comm()), schedule_(cfg_.schedule),  // checks the schedule's flags
      hybrid_(cm_), log_(cfg_.out, cm_.leader(), hooks.on_record), hooks_(std::move(hooks)) {
  if (!cfg_.fine_tune.init_from.empty() && !plan.resume && !plan.source) internal_error("a run from --init-from without its weights");
  const ArchSpec& arch = arch_by_name(cfg_.arch);
  set_threads(cfg_.machine.threads);
  cm_.set_progress(cfg_.machine.comm_progress);
  open_data();
  const TransformConfig tf = training_transform(arch, cfg_, *data_.train, plan.source.get(), info_);
  net_ = std::make_unique<Network>(arch, classes(), choose_model_split(cfg_, cm_, arch, classes()));
  net_->init(cfg_.init, cfg_.seed);
  net_->set_dropout(cfg_.reg.dropout);
  if (plan.source && !plan.resume) start_from_weights(*plan.source);
  plan.source.reset();  // a whole second network: not kept through training
  if (!cfg_.fine_tune.freeze.empty()) net_->freeze(expand_layer_list(*net_, cfg_.fine_tune.freeze, "--freeze"));
  ranges_ = update_ranges(*net_, cfg_);
  loader_ = std::make_unique<Loader>(*data_.train, tf, training_loader(cfg_, cm_));
  if (!plan.resume && cfg_.budget.time_budget_s > 0 && cfg_.budget.planned_epochs == 0) plan_time_budget();
  xent_.set_label_smoothing(cfg_.reg.label_smoothing);
  if (cfg_.reg.ema > 0) ema_ = std::make_unique<WeightAverage>(cfg_.reg.ema, *net_);
  start_or_resume(plan.resume);
}

TrainingRun::~TrainingRun() = default;

int run_training(TrainPlan plan, RunHooks hooks) { return TrainingRun(std::move(plan), std::move(hooks)).run(); }

bool TrainingRun::leader() const { return cm_.leader(); }
int64_t TrainingRun::steps_per_epoch() const { return loader_->batches_per_epoch(); }

// The one way the plan changes once the data and the network exist: `change` (fields of
// config.json) is applied and recorded with its reason in config.json's amendments. Before the
// first step (after_epoch 0) the schedule is made again for it, and metrics.jsonl opens with it;
// after an epoch (a --time-budget re-plan) the schedule stretches from where it stands, and
// config.json and metrics.jsonl get it at once. A resumed run reads the plan, amendments included.
void TrainingRun::amend_plan(const json& change, const std::string& why, int after_epoch) {
  json j = to_json(cfg_);
  j.merge_patch(change);
  cfg_ = train_config_from_json(j);
  json record = {{"change", change}, {"why", why}};
  if (after_epoch == 0) {
    cfg_.schedule.epochs = cfg_.epochs;  // the schedule's length follows the epochs
    schedule_ = LrSchedule(cfg_.schedule);
    cfg_.amendments.push_back(record);
    return;
  }
  schedule_.set_length(cfg_.epochs, after_epoch);
  record["after_epoch"] = after_epoch;
  cfg_.amendments.push_back(record);
  if (leader()) std::printf("%s\n", why.c_str());
  log_.write_config(cfg_);
  record["type"] = "plan";
  log_.plan_change(record);
}

// Data, checked before anything trains (train/run_data.hpp says which validation).
void TrainingRun::open_data() {
  data_ = open_run_data(cfg_);
  if (leader() && cfg_.data.val.empty() && data_.val)
    std::printf("validation: %lld of the training samples held out (--val-split %.4g, seed %llu), %lld left to train on\n",
                static_cast<long long>(data_.val->size()), cfg_.data.val_split,
                static_cast<unsigned long long>(cfg_.seed), static_cast<long long>(data_.train->size()));
  check_run_data(data_, cfg_, cm_.size());
  // Small data (fine-tuning on a few images per class): a batch larger than the training set
  // becomes the whole set, one step per epoch, and the run says so.
  if (data_.train->size() < cfg_.batch) {
    const std::string n = std::to_string(data_.train->size());
    const std::string why = n + " training samples, fewer than --batch " + std::to_string(cfg_.batch) +
                            ": batches of " + n + ", one step per epoch";
    if (leader()) std::printf("note: %s\n", why.c_str());
    amend_plan({{"batch", data_.train->size()}}, why);
  }
}

// --init-from: trained weights copied layer by layer; the classifier kept for the same classes.
void TrainingRun::start_from_weights(const LoadedModel& source) {
  const std::string& list = cfg_.fine_tune.reinit;
  const std::vector<std::string> reinit = list.empty() ? std::vector<std::string>{}
                                                       : expand_layer_list(*net_, list, "--reinit");
  const InitFromReport r = copy_trained_params(*source.net, source.info.class_names, *net_,
                                               data_.train->class_names(), cfg_.fine_tune.init_from, reinit);
  if (leader()) std::printf("init from %s: %s\n", cfg_.fine_tune.init_from.c_str(), describe(r).c_str());
  // A resumed run applies the same --lr-mult-new to the same parameters.
  amend_plan({{"new_params", r.fresh}}, "--init-from " + cfg_.fine_tune.init_from + ": " + describe(r));
}

// --time-budget: the epochs that fit, from the training step's speed measured here, now, on a
// copy of the network. Planned once and written to config.json, so that the run itself stays
// deterministic and a resumed run keeps the plan.
void TrainingRun::plan_time_budget() {
  const BudgetPlan plan = plan_epochs(arch(), classes(), cfg_, data_.train->size(), data_.val ? data_.val->size() : 0);
  char why[256];
  std::snprintf(why, sizeof why,
                "time budget %s: a training step takes %.1f ms (%.0f images/s), validation %.1f s: %d epochs "
                "planned (about %s)",
                fmt_time(cfg_.budget.time_budget_s).c_str(), 1000 * plan.step_seconds, cfg_.batch / plan.step_seconds,
                plan.val_seconds, plan.epochs, fmt_time(plan.expected_seconds).c_str());
  if (leader()) std::printf("%s\n", why);
  amend_plan({{"epochs", plan.epochs}, {"planned_epochs", plan.epochs}, {"max_epochs", cfg_.epochs}}, why);
}

// The budget's seconds used so far: this process's and, after a resume, those before it.
double TrainingRun::budget_used() const {
  if (cfg_.budget.simulate_epoch_seconds > 0) return static_cast<double>(pos_.epoch) * cfg_.budget.simulate_epoch_seconds;
  return pos_.budget_used_s + (now_s() - watch_.run_start);
}

// After each epoch of a run with a budget: the epochs that fit, from the pace of the epochs
// timed (the leader's clock decides for every rank). A change goes to the schedule, config.json,
// metrics.jsonl and, with the epoch's checkpoint, to what a resumed run replays.
void TrainingRun::replan_time_budget(double epoch_seconds) {
  if (cfg_.budget.time_budget_s <= 0) return;
  const int done = static_cast<int>(pos_.epoch + 1);
  const Replan r = replan_after_epoch(cfg_, done, pos_.recent_epoch_seconds, epoch_seconds, budget_used());
  double epochs = leader() ? r.epochs : 0;
  if (cm_.distributed()) cm_.allreduce_sum(&epochs, 1);
  const int planned = static_cast<int>(epochs);
  if (planned == cfg_.epochs) return;
  char why[256];
  std::snprintf(why, sizeof why, "time budget %s: after epoch %d an epoch takes %s, %s are left: %d epochs in all, not %d",
                fmt_time(cfg_.budget.time_budget_s).c_str(), done, fmt_time(r.pace).c_str(),
                fmt_time(std::max(0.0, cfg_.budget.time_budget_s - r.used)).c_str(), planned, cfg_.epochs);
  amend_plan({{"epochs", planned}}, why, done);
}

void TrainingRun::start_or_resume(bool resume) {
  if (!resume) return log_.start(cfg_);
  const std::string& ckpt = log_.files().checkpoint;
  const ModelInfo saved = peek_checkpoint(ckpt, nullptr);
  if (saved.arch != arch().name) fail(ckpt + ": checkpoint of " + saved.arch + ", config says " + arch().name);
  pos_ = run_position(load_checkpoint(ckpt, *net_, ema_ ? ema_->data() : nullptr), ckpt);
  try {
    schedule_.restore(pos_.schedule);
  } catch (const json::exception& e) {
    fail(ckpt + ": train_state's schedule is incomplete (" + e.what() + ")");
  }
  if (pos_.epochs > 0) cfg_.epochs = pos_.epochs;  // the plan as this checkpoint knew it
  log_.resume(pos_.log_bytes, pos_.global_step);  // forgets what the killed run logged after it
  if (leader())
    std::printf("resuming %s at epoch %lld, step %lld\n", cfg_.out.c_str(), static_cast<long long>(pos_.epoch + 1),
                static_cast<long long>(pos_.step));
}

// ---- the loop ----------------------------------------------------------------------------

int TrainingRun::run() {
  watch_.progress = std::make_unique<Progress>(leader(), leader() && isatty(STDOUT_FILENO), cfg_.log.print_every);
  watch_.stuck = std::make_unique<StuckWatch>(cfg_.log.stuck_steps, classes());
  if (leader())
    std::printf("training %s (%lld parameters, %s init) on %s: %lld images, %d classes, %lld steps/epoch, "
                "%d epochs, %s lr %.4g, %d threads x %d processes\n",
                arch().name.c_str(), static_cast<long long>(net_->num_params()), name_of(cfg_.init),
                cfg_.data.data.c_str(), static_cast<long long>(data_.train->size()), classes(),
                static_cast<long long>(steps_per_epoch()), cfg_.epochs, name_of(cfg_.schedule.kind), cfg_.sgd.lr,
                num_threads(), cm_.size());
  std::fflush(stdout);
  watch_.run_start = now_s();
  for (; pos_.epoch < cfg_.epochs; ++pos_.epoch, pos_.step = 0) {
    if (const int end = run_epoch(); end != kRunDone) return end;
    if (pos_.epoch + 1 < cfg_.epochs && stop_requested()) {  // the epoch's checkpoint is written
      if (leader()) std::printf("stopped after epoch %lld; continue with --resume %s\n",
                                static_cast<long long>(pos_.epoch + 1), cfg_.out.c_str());
      return kRunStopped;
    }
  }
  if (leader())
    std::printf("done: best %s top-1 error %.2f%%, weights in %s\n", data_.val ? "validation" : "training",
                100 * pos_.best_error, log_.files().best.c_str());
  return kRunDone;
}

// Every rank must stop at the same step: the leader's answer is shared (a run without the hook,
// every command's, never asks, and adds no collective to a step).
bool TrainingRun::stop_requested() {
  if (!hooks_.stop) return false;
  double stop = leader() && hooks_.stop() ? 1 : 0;
  if (cm_.distributed()) cm_.allreduce_sum(&stop, 1);
  return stop > 0;
}

int TrainingRun::run_epoch() {
  loader_->start_epoch(pos_.epoch, pos_.step);
  cm_.reset_counters();
  EpochTotals t;
  t.start = now_s();
  for (Batch b;;) {
    const double t0 = now_s();
    if (!loader_->next(b)) break;
    t.data_wait += now_s() - t0;
    t.add_skipped(b.failed);
    const float lr = schedule_.lr_at(static_cast<int>(pos_.epoch), static_cast<double>(pos_.step) / steps_per_epoch());
    if (!train_step(b, t, lr)) return kRunDiverged;
    const bool mid_epoch = pos_.step < steps_per_epoch();
    if (cfg_.log.checkpoint_every > 0 && pos_.global_step % cfg_.log.checkpoint_every == 0 && mid_epoch) save(pos_.epoch, pos_.step);
    if (mid_epoch && stop_requested()) {
      save(pos_.epoch, pos_.step);
      watch_.progress->end_epoch();
      if (leader()) std::printf("stopped at epoch %lld step %lld; continue with --resume %s\n",
                                static_cast<long long>(pos_.epoch + 1), static_cast<long long>(pos_.step), cfg_.out.c_str());
      return kRunStopped;
    }
    if (hooks_.after_step) hooks_.after_step(pos_.global_step);
  }
  watch_.progress->end_epoch();
  end_epoch(t);
  return kRunDone;
}

// One SGD step on this rank's share of a global batch; the loss and gradient are means over all
// of it. False when the loss is not finite (every rank sees the same global loss and stops).
bool TrainingRun::train_step(Batch& b, EpochTotals& t, float lr) {
  const double t_start = now_s();
  const int n = b.samples();
  if (!hybrid_.set_rows(*net_, n)) {  // a rank's files all failed to decode
    if (leader()) std::fprintf(stderr, "\nwarning: a rank has no image of step %lld: skipped\n", static_cast<long long>(pos_.step));
    return ++pos_.step, true;
  }
  double sums[3] = {static_cast<double>(n), 0, 0};  // samples, loss, correct: over the global batch
  forward_loss(b, sums);
  const int64_t n_global = static_cast<int64_t>(sums[0]);
  if (n_global == 0) return ++pos_.step, true;  // every file of this batch failed to decode
  const double loss = sums[1] / n_global;
  if (!std::isfinite(loss)) {
    if (leader()) std::printf("\n");
    std::fprintf(stderr,
                 "error: the loss became %s at epoch %lld step %lld (lr %.4g): the run diverged. "
                 "The last good checkpoint is %s; resume with a lower --lr.\n",
                 std::isnan(loss) ? "NaN" : "infinite", static_cast<long long>(pos_.epoch + 1),
                 static_cast<long long>(pos_.step), lr, log_.files().checkpoint.c_str());
    return false;
  }
  pos_.epoch_correct += static_cast<int64_t>(sums[2]);
  if (n > 0) {
    // d_logits = (softmax - onehot) / n_global: the local share of the global mean
    xent_.backward(b.labels, net_->d_logits(), static_cast<double>(n) / n_global);
    net_->backward([&](const std::vector<Param*>& ps) {
      for (Param* p : ps) cm_.start_allreduce_sum(p->grad, p->size());
    });
  } else {  // this rank's files all failed: it adds zeros to the others' gradients
    std::fill(net_->grads(), net_->grads() + net_->num_params(), 0.f);
    for (Param* p : net_->params())
      if (!net_->is_frozen(p)) cm_.start_allreduce_sum(p->grad, p->size());
  }
  cm_.wait_all();
  SgdConfig sgd = cfg_.sgd;
  sgd.lr = lr;
  sgd_step(net_->values(), net_->grads(), net_->momenta(), ranges_, sgd);
  net_->params_changed();
  hybrid_.changed();
  if (ema_) ema_->update(*net_, pos_.global_step);
  t.step_seconds += now_s() - t_start;
  pos_.epoch_loss += loss * n_global;
  pos_.epoch_seen += n_global;
  after_step(loss, lr, t);
  return true;
}

// The forward and the loss of this rank's rows; `sums` (samples, loss, correct) summed over the
// ranks.
void TrainingRun::forward_loss(Batch& b, double sums[3]) {
  const int n = b.samples();
  if (n > 0) {
    Tensor x(plain_md(net_->input_shape(n)), b.images.data());
    const Tensor& logits = net_->forward(x, Mode::train, hash3(cfg_.seed, 0xD809, pos_.global_step), b.first_row);
    sums[1] = xent_.forward(logits, b.labels) * n;
    for (int i = 0; i < n; ++i)
      sums[2] += argmax(logits.data() + static_cast<size_t>(i) * classes(), classes()) == b.labels[i];
  }
  cm_.allreduce_sum(sums, 3);
}

// The step's counters, the stuck-loss watch, the progress line and the step records.
void TrainingRun::after_step(double loss, float lr, EpochTotals& t) {
  ++pos_.step, ++t.steps, ++pos_.global_step, ++watch_.steps_this_run;
  if (watch_.stuck->stuck(loss, pos_.global_step) && leader())
    std::fprintf(stderr, "\n%s\n", watch_.stuck->warning(pos_.global_step).c_str());
  show_progress(t, lr);
  const bool every = cfg_.log.print_every > 0 && pos_.step % cfg_.log.print_every == 0;
  const bool hook_every = hooks_.step_every > 0 && pos_.global_step % hooks_.step_every == 0;
  if (!every && !hook_every) return;
  const double rate = static_cast<double>(t.steps) * cfg_.batch / std::max(now_s() - t.start, 1e-9);
  const json rec = {{"type", "step"}, {"epoch", pos_.epoch + 1}, {"step", pos_.step}, {"global_step", pos_.global_step},
                    {"loss", loss}, {"lr", lr}, {"images_per_s", rate}};
  if (every) log_.record(rec);
  else log_.hook_only(rec);
}

// The progress line: this epoch's rate and data wait, the ETA from this run's steps so far.
void TrainingRun::show_progress(const EpochTotals& t, float lr) {
  const double el = std::max(now_s() - t.start, 1e-9);
  const int64_t spe = steps_per_epoch();
  const double steps_left = static_cast<double>((cfg_.epochs - pos_.epoch - 1) * spe + (spe - pos_.step));
  const double per_step = (now_s() - watch_.run_start) / std::max<int64_t>(1, watch_.steps_this_run);
  watch_.progress->show({pos_.epoch + 1, cfg_.epochs, pos_.step, spe, pos_.epoch_loss / pos_.epoch_seen,
                         static_cast<double>(pos_.epoch_correct) / pos_.epoch_seen, lr, t.steps * cfg_.batch / el,
                         t.data_wait / el, steps_left * per_step},
                        pos_.step == spe);
}

// ---- the end of an epoch -----------------------------------------------------------------

void TrainingRun::end_epoch(EpochTotals& t) {
  const double lr = schedule_.lr_at(static_cast<int>(pos_.epoch), 0.999);
  json rec = epoch_record(pos_, t, lr, cfg_.batch, now_s() - t.start, cm_, net_->model_parallel());
  hybrid_.share(*net_, ema_.get());
  report_skipped(t, pos_.epoch, leader(), rec);
  const double val_error = keep_best(rec);
  if (schedule_.end_epoch(static_cast<int>(pos_.epoch), val_error) && leader())
    std::printf("validation error stopped improving: lr divided by 10, now %.4g\n", schedule_.lr());
  check_ranks_agree(cm_, net_->values(), net_->num_params(), pos_.epoch);
  log_.record(rec);
  log_.conv1_image(pos_.global_step, *net_->params().front());
  log_.flush();
  replan_time_budget(now_s() - t.start);
  pos_.epoch_loss = 0;
  pos_.epoch_correct = pos_.epoch_seen = 0;
  save(pos_.epoch + 1, 0);
}

// Validates and keeps the best weights. The average (--ema) is what is evaluated and kept; the
// weights SGD holds are evaluated first, to show what it gains.
double TrainingRun::keep_best(json& rec) {
  if (ema_ && data_.val) rec["val_top1_error_sgd_weights"] = evaluate_val().top1_error;
  if (ema_) ema_->swap_with(*net_);
  const double val_error = validate(rec);
  if (val_error < pos_.best_error) {
    pos_.best_error = val_error;
    if (leader()) save_weights(*net_, info_, log_.files().best);
  }
  if (ema_) ema_->swap_with(*net_);
  return val_error;
}

// Top-1 error on the validation set (every rank evaluates its shard), or the training error
// when there is none. Adds the validation numbers to the epoch's record and prints them.
double TrainingRun::validate(json& rec) {
  if (data_.val) {
    const EvalResult r = evaluate_val();
    rec["val_loss"] = r.loss;
    rec["val_top1_error"] = r.top1_error;
    rec["val_top5_error"] = r.top5_error;
    rec["val_top1"] = 1.0 - r.top1_error;
  }
  if (leader()) print_epoch(rec, cfg_.epochs, now_s() - watch_.run_start);
  std::fflush(stdout);
  return data_.val ? rec["val_top1_error"] : rec["train_top1_error"];
}

EvalResult TrainingRun::evaluate_val() {
  EvalOptions eo;
  eo.batch = 500;
  eo.workers = cfg_.machine.workers;
  eo.progress = watch_.progress->tty() && isatty(STDERR_FILENO);
  eo.shard = cm_.rank(), eo.shards = cm_.size();
  EvalResult r = evaluate(*net_, *data_.val, test_transform(arch(), info_.norm, info_.mean_image), eo);
  if (cm_.distributed()) sum_over_ranks(cm_, r);
  r.finish();
  return r;
}

void TrainingRun::save(int64_t epoch, int64_t step) {
  hybrid_.share(*net_, ema_.get());
  if (!leader()) return;
  log_.before_checkpoint();
  RunPosition at = pos_;
  at.epoch = epoch, at.step = step;
  at.schedule = schedule_.state();
  at.epochs = cfg_.epochs;
  at.budget_used_s = cfg_.budget.time_budget_s > 0 ? budget_used() : 0.0;
  at.log_bytes = log_.metrics_bytes();
  save_checkpoint(log_.files().checkpoint, *net_, info_, to_json(at), ema_ ? ema_->data() : nullptr);
}

}  // namespace alexnet
