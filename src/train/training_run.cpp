#include "train/training_run.hpp"

#include "model/layer_plan.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/loader.hpp"
#include "data/stats.hpp"
#include "parallel/comm.hpp"
#include "train/event_file.hpp"
#include "tensor/engine.hpp"
#include "train/checkpoint.hpp"
#include "infer/evaluate.hpp"
#include "infer/filter_grid.hpp"
#include "train/init_from.hpp"
#include "infer/metrics.hpp"
#include "train/layer_list.hpp"
#include "train/progress.hpp"
#include "train/rank_sums.hpp"
#include "train/run_data.hpp"
#include "train/time_budget.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/rng.hpp"
#include "util/json_text.hpp"

namespace alexnet {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

void append_line(const std::string& path, const json& j) {
  std::ofstream f(path, std::ios::app);
  f << json_text(j) << "\n";
  f.flush();
  if (!f) fail(path + ": cannot append to the metrics log");
}

}  // namespace

// ---- setup -------------------------------------------------------------------------------

TrainingRun::TrainingRun(TrainPlan plan, RunHooks hooks)
    : cfg_(std::move(plan.cfg)), resume_(plan.resume), cm_(comm()), leader_(cm_.leader()),
      arch_(arch_by_name(cfg_.arch)), schedule_(cfg_.schedule),  // checks the schedule's flags
      source_(std::move(plan.source)), hooks_(std::move(hooks)) {
  if (!cfg_.init_from.empty() && !resume_ && !source_) internal_error("a run from --init-from without its weights");
  cfg_path_ = cfg_.out + "/config.json", ckpt_path_ = cfg_.out + "/checkpoint.safetensors";
  log_path_ = cfg_.out + "/metrics.jsonl", best_path_ = cfg_.out + "/best.safetensors";
  set_threads(cfg_.threads);
  cm_.set_progress(comm_progress_from_name(cfg_.comm_progress));
  open_data();
  make_transform();
  net_ = std::make_unique<Network>(arch_, classes_, model_split());
  net_->init(cfg_.init == "paper" ? InitKind::paper : InitKind::kaiming, cfg_.seed);
  net_->set_dropout(cfg_.dropout);
  if (source_ && !resume_) start_from_weights();
  source_.reset();  // a whole second network: not kept through training
  if (!cfg_.freeze.empty()) net_->freeze(expand_layer_list(*net_, cfg_.freeze, "--freeze"));
  make_update_ranges();
  LoaderConfig lc;
  lc.batch = cfg_.batch;
  lc.workers = cfg_.workers;
  lc.train = true;
  lc.strict = cfg_.strict;
  lc.seed = cfg_.seed;
  lc.shard = cm_.rank();
  lc.shards = cm_.size();
  loader_ = std::make_unique<Loader>(*train_set_, tf_, lc);
  steps_per_epoch_ = loader_->batches_per_epoch();
  if (!resume_ && cfg_.time_budget_s > 0 && cfg_.planned_epochs == 0) plan_time_budget();
  xent_.set_label_smoothing(cfg_.label_smoothing);
  if (cfg_.ema > 0) ema_ = std::make_unique<WeightAverage>(cfg_.ema, *net_);
  start_or_resume();
}

TrainingRun::~TrainingRun() = default;

int run_training(TrainPlan plan, RunHooks hooks) { return TrainingRun(std::move(plan), std::move(hooks)).run(); }

// The one way the plan changes once the data and the network exist: `change` (fields of
// config.json) is applied, and recorded with its reason in config.json and metrics.jsonl.
// Only a new run amends its plan; a resumed one reads it, amendments included.
void TrainingRun::amend_plan(const json& change, const std::string& why) {
  json j = to_json(cfg_);
  j.merge_patch(change);
  const int64_t kill_after_steps = cfg_.kill_after_steps;  // a test hook, not in config.json
  cfg_ = train_config_from_json(j);
  cfg_.kill_after_steps = kill_after_steps;
  cfg_.schedule.epochs = cfg_.epochs;  // the schedule's length follows the epochs
  schedule_ = LrSchedule(cfg_.schedule);
  cfg_.amendments.push_back({{"change", change}, {"why", why}});
}

// Data, checked before anything trains (train/run_data.hpp says which validation).
void TrainingRun::open_data() {
  RunData d = open_run_data(cfg_);
  train_set_ = std::move(d.train), val_set_ = std::move(d.val);
  classes_ = train_set_->classes();
  if (leader_ && cfg_.val.empty() && val_set_)
    std::printf("validation: %lld of the training samples held out (--val-split %.4g, seed %llu), %lld left to train on\n",
                static_cast<long long>(val_set_->size()), cfg_.val_split,
                static_cast<unsigned long long>(cfg_.seed), static_cast<long long>(train_set_->size()));
  if (val_set_ && val_set_->classes() > classes_)
    fail(val_set_->path() + ": has labels up to " + std::to_string(val_set_->classes() - 1) +
         ", the training set only " + std::to_string(classes_) + " classes");
  if (cfg_.batch < cm_.size())
    fail("--batch " + std::to_string(cfg_.batch) + " is smaller than the " + std::to_string(cm_.size()) +
         " ranks it is split across");
  // Small data (fine-tuning on a few images per class): a batch larger than the training set
  // becomes the whole set, one step per epoch, and the run says so.
  if (train_set_->size() < cfg_.batch) {
    if (train_set_->size() < cm_.size())
      fail(cfg_.data + ": " + std::to_string(train_set_->size()) + " training samples, fewer than the " +
           std::to_string(cm_.size()) + " ranks");
    const std::string n = std::to_string(train_set_->size());
    const std::string why = n + " training samples, fewer than --batch " + std::to_string(cfg_.batch) +
                            ": batches of " + n + ", one step per epoch";
    if (leader_) std::printf("note: %s\n", why.c_str());
    amend_plan({{"batch", train_set_->size()}}, why);
  }
}

// The input transform: statistics from --stats, else the data set's own (alexnet-mini) or the
// architecture's defaults (ImageNet's, docs/spec.md §2).
void TrainingRun::make_transform() {
  tf_.resize = arch_.resize;
  tf_.crop = arch_.crop;
  tf_.flip = cfg_.flip;
  tf_.pca_std = cfg_.pca ? 0.1f : 0.f;
  tf_.norm = arch_.default_norm;
  tf_.bgr = arch_.bgr;
  info_.arch = arch_.name;
  info_.class_names = train_set_->class_names();
  if (!cfg_.stats.empty() || arch_.default_norm_from_data) {
    const DataStats st = !cfg_.stats.empty() ? load_stats(cfg_.stats)
                                             : compute_stats(*train_set_, arch_.resize, 10000, 2);
    if (st.resize != arch_.resize)
      fail(cfg_.stats + ": statistics for side " + std::to_string(st.resize) + ", " + arch_.name + " needs " +
           std::to_string(arch_.resize));
    tf_.pca = st.pca;
    if (arch_.mean_image) {
      tf_.mean_image = st.mean_image;  // the paper: subtract the mean image, no scaling
      info_.mean_image = st.mean_image;
    } else {
      tf_.norm = st.norm;
    }
  }
  info_.norm = tf_.norm;
  // Fine-tuning: the network learned on inputs normalised its way, so that travels with it.
  if (source_ && cfg_.stats.empty()) {
    const ModelInfo& src = source_->info;
    if (src.norm) tf_.norm = *src.norm, info_.norm = src.norm;
    if (!src.mean_image.empty()) tf_.mean_image = info_.mean_image = src.mean_image;
  }
}

// --init-from: trained weights copied layer by layer; the classifier kept for the same classes.
void TrainingRun::start_from_weights() {
  const std::vector<std::string> reinit = cfg_.reinit.empty() ? std::vector<std::string>{}
                                                              : expand_layer_list(*net_, cfg_.reinit, "--reinit");
  const InitFromReport r = copy_trained_params(*source_->net, source_->info.class_names, *net_,
                                               train_set_->class_names(), cfg_.init_from, reinit);
  if (leader_) std::printf("init from %s: %s\n", cfg_.init_from.c_str(), describe(r).c_str());
  // A resumed run applies the same --lr-mult-new to the same parameters.
  amend_plan({{"new_params", r.fresh}}, "--init-from " + cfg_.init_from + ": " + describe(r));
}

// --parallel hybrid (or auto) under mpirun: each rank trains a slice of the fc layers' neurons.
ModelSplit TrainingRun::model_split() const {
  ModelSplit split;
  if (cfg_.parallel == "data" || !cm_.distributed()) return split;
  int narrowest = classes_;
  for (const LayerSpec& l : layer_plan(arch_, classes_))
    if (l.kind == LayerKind::linear) narrowest = std::min(narrowest, static_cast<int>(l.out[0]));
  if (narrowest < cm_.size()) {
    const std::string why = std::to_string(cm_.size()) + " ranks are more than the " + std::to_string(narrowest) +
                            " neurons of the narrowest fc layer";
    if (cfg_.parallel == "hybrid")
      fail("--parallel hybrid splits each fc layer's neurons across the ranks: " + why + " (use --parallel data)");
    if (leader_) std::printf("training data-parallel: %s, which hybrid parallelism splits across the ranks\n", why.c_str());
    return split;
  }
  split.rank = cm_.rank(), split.ranks = cm_.size();
  return split;
}

// Hybrid parallelism: during an epoch each rank moves only its slice of the fc parameters; before
// anything reads them all (validation, the weights' check, a checkpoint) the slices are shared.
// Collective: every rank calls it at the same points.
void TrainingRun::share_parts() {
  if (!net_->model_parallel() || parts_shared_) return;
  net_->share_owned_parts(net_->values());
  net_->share_owned_parts(net_->momenta());
  if (ema_) net_->share_owned_parts(ema_->data());
  net_->params_changed();
  parts_shared_ = true;
}

// The SGD step's ranges: every parameter that is not frozen (in hybrid parallelism, this rank's
// slice of it), the re-initialised ones at lr x --lr-mult-new; neighbours with the same
// multiplier merged.
void TrainingRun::make_update_ranges() {
  ranges_.clear();
  const float* base = net_->values();
  for (Param* p : net_->params()) {
    if (net_->is_frozen(p)) continue;
    const bool fresh = std::find(cfg_.new_params.begin(), cfg_.new_params.end(), p->name) != cfg_.new_params.end();
    const float mult = fresh ? cfg_.lr_mult_new : 1.f;
    const Network::Part part = net_->owned_part(p);  // hybrid: this rank's slice of an fc layer
    const int64_t off = p->value - base + part.begin;
    if (!ranges_.empty() && ranges_.back().lr_mult == mult && ranges_.back().offset + ranges_.back().size == off)
      ranges_.back().size += part.count;
    else
      ranges_.push_back({off, part.count, mult});
  }
}

// --time-budget: the epochs that fit, from the training step's speed measured here, now, on a
// copy of the network. Planned once and written to config.json, so that the run itself stays
// deterministic and a resumed run keeps the plan.
void TrainingRun::plan_time_budget() {
  const BudgetPlan plan = plan_epochs(arch_, classes_, cfg_, train_set_->size(), val_set_ ? val_set_->size() : 0);
  char why[256];
  std::snprintf(why, sizeof why,
                "time budget %s: a training step takes %.1f ms (%.0f images/s), validation %.1f s: %d epochs "
                "planned (about %s)",
                fmt_time(cfg_.time_budget_s).c_str(), 1000 * plan.step_seconds, cfg_.batch / plan.step_seconds,
                plan.val_seconds, plan.epochs, fmt_time(plan.expected_seconds).c_str());
  if (leader_) std::printf("%s\n", why);
  amend_plan({{"epochs", plan.epochs}, {"planned_epochs", plan.epochs}, {"max_epochs", cfg_.epochs}}, why);
}

// The budget's seconds used so far: this process's and, after a resume, those before it.
double TrainingRun::budget_used() const {
  if (cfg_.simulate_epoch_seconds > 0) return static_cast<double>(epoch_) * cfg_.simulate_epoch_seconds;
  return budget_used_before_ + (now_s() - run_start_);
}

// After each epoch of a run with a budget: the epochs that fit, from the pace of the epoch just
// timed (the leader's clock decides for every rank). A change goes to the schedule, config.json,
// metrics.jsonl and, with the epoch's checkpoint, to what a resumed run replays.
void TrainingRun::replan_time_budget(double epoch_seconds) {
  if (cfg_.time_budget_s <= 0) return;
  const int done = static_cast<int>(epoch_ + 1);
  const bool simulated = cfg_.simulate_epoch_seconds > 0;
  recent_epoch_seconds_.push_back(epoch_seconds);
  if (recent_epoch_seconds_.size() > 3) recent_epoch_seconds_.erase(recent_epoch_seconds_.begin());
  const double pace = simulated ? cfg_.simulate_epoch_seconds : recent_pace(recent_epoch_seconds_);
  const double used = simulated ? done * pace : budget_used();
  const int ceiling = cfg_.max_epochs > 0 ? cfg_.max_epochs : cfg_.epochs;
  double epochs = leader_ ? replanned_epochs(cfg_.epochs, done, ceiling, cfg_.time_budget_s, used, pace) : 0;
  if (cm_.distributed()) cm_.allreduce_sum(&epochs, 1);
  const int planned = static_cast<int>(epochs);
  if (planned == cfg_.epochs) return;
  char why[256];
  std::snprintf(why, sizeof why, "time budget %s: after epoch %d an epoch takes %s, %s are left: %d epochs in all, not %d",
                fmt_time(cfg_.time_budget_s).c_str(), done, fmt_time(pace).c_str(),
                fmt_time(std::max(0.0, cfg_.time_budget_s - used)).c_str(), planned, cfg_.epochs);
  const json change = {{"epochs", planned}};
  cfg_.epochs = planned;
  schedule_.set_length(planned, done);
  cfg_.amendments.push_back({{"change", change}, {"why", why}, {"after_epoch", done}});
  if (!leader_) return;
  std::printf("%s\n", why);
  write_file_atomic(cfg_path_, to_json(cfg_).dump(2) + "\n");
  const json rec = {{"type", "plan"}, {"change", change}, {"why", why}, {"after_epoch", done}};
  append_line(log_path_, rec);
  if (hooks_.on_record) hooks_.on_record(rec);
}

void TrainingRun::start_or_resume() {
  if (!resume_) {
    if (leader_) {
      fs::create_directories(cfg_.out);
      write_file_atomic(cfg_path_, to_json(cfg_).dump(2) + "\n");
      std::string amendments;  // the plan's changes open the log, each with its reason
      for (const json& a : cfg_.amendments) amendments += json_text(json{{"type", "plan"}, {"change", a["change"]}, {"why", a["why"]}}) + "\n";
      write_file_atomic(log_path_, amendments);
      events_ = std::make_unique<EventWriter>(cfg_.out, 0);
    }
    return;
  }
  const ModelInfo saved = peek_checkpoint(ckpt_path_, nullptr);
  if (saved.arch != arch_.name) fail(ckpt_path_ + ": checkpoint of " + saved.arch + ", config says " + arch_.name);
  const RunPosition at = run_position(load_checkpoint(ckpt_path_, *net_, ema_ ? ema_->data() : nullptr), ckpt_path_);
  epoch_ = at.epoch, step_ = at.step, global_step_ = at.global_step;
  epoch_loss_ = at.epoch_loss, epoch_correct_ = at.epoch_correct, epoch_seen_ = at.epoch_seen;
  best_error_ = at.best_error;
  try {
    schedule_.restore(at.schedule);
  } catch (const json::exception& e) {
    fail(ckpt_path_ + ": train_state's schedule is incomplete (" + e.what() + ")");
  }
  if (at.epochs > 0) cfg_.epochs = at.epochs;  // the plan as this checkpoint knew it
  budget_used_before_ = at.budget_used_s;
  recent_epoch_seconds_ = at.recent_epoch_seconds;
  // Forget log lines written after this checkpoint by the run that was killed.
  if (fs::exists(log_path_)) fs::resize_file(log_path_, std::min<uintmax_t>(at.log_bytes, fs::file_size(log_path_)));
  if (leader_) {
    // TensorBoard reads every events file in the folder; the new one starts where the
    // checkpoint does, and its readers keep the latest value of a step.
    events_ = std::make_unique<EventWriter>(cfg_.out, global_step_);
    std::printf("resuming %s at epoch %lld, step %lld\n", cfg_.out.c_str(), static_cast<long long>(epoch_ + 1),
                static_cast<long long>(step_));
  }
}

// ---- the loop ----------------------------------------------------------------------------

int TrainingRun::run() {
  progress_ = std::make_unique<Progress>(leader_, leader_ && isatty(STDOUT_FILENO), cfg_.print_every);
  stuck_ = std::make_unique<StuckWatch>(cfg_.stuck_steps, classes_);
  if (leader_)
    std::printf("training %s (%lld parameters, %s init) on %s: %lld images, %d classes, %lld steps/epoch, "
                "%d epochs, %s lr %.4g, %d threads x %d processes\n",
                arch_.name.c_str(), static_cast<long long>(net_->num_params()), cfg_.init.c_str(),
                cfg_.data.c_str(), static_cast<long long>(train_set_->size()), classes_,
                static_cast<long long>(steps_per_epoch_), cfg_.epochs, cfg_.schedule.kind.c_str(), cfg_.sgd.lr,
                num_threads(), cm_.size());
  std::fflush(stdout);
  run_start_ = now_s();
  for (; epoch_ < cfg_.epochs; ++epoch_, step_ = 0) {
    if (const int end = run_epoch(); end != kRunDone) return end;
    if (epoch_ + 1 < cfg_.epochs && stop_requested()) {  // the epoch's checkpoint is written
      if (leader_) std::printf("stopped after epoch %lld; continue with --resume %s\n",
                               static_cast<long long>(epoch_ + 1), cfg_.out.c_str());
      return kRunStopped;
    }
  }
  if (leader_)
    std::printf("done: best %s top-1 error %.2f%%, weights in %s\n", val_set_ ? "validation" : "training",
                100 * best_error_, best_path_.c_str());
  return kRunDone;
}

// Every rank must stop at the same step: the leader's answer is shared (a run without the hook,
// every command's, never asks, and adds no collective to a step).
bool TrainingRun::stop_requested() {
  if (!hooks_.stop) return false;
  double stop = leader_ && hooks_.stop && hooks_.stop() ? 1 : 0;
  if (cm_.distributed()) cm_.allreduce_sum(&stop, 1);
  return stop > 0;
}

int TrainingRun::run_epoch() {
  loader_->start_epoch(epoch_, step_);
  cm_.reset_counters();
  EpochTotals t;
  t.start = now_s();
  Batch b;
  for (;;) {
    const double t0 = now_s();
    if (!loader_->next(b)) break;
    t.data_wait += now_s() - t0;
    t.skipped += static_cast<int64_t>(b.failed.size());
    for (auto& f : b.failed)
      if (t.skipped_names.size() < 20) t.skipped_names.push_back(f);
    const float lr = schedule_.lr_at(static_cast<int>(epoch_), static_cast<double>(step_) / steps_per_epoch_);
    if (!train_step(b, t, lr)) return kRunDiverged;
    if (cfg_.checkpoint_every > 0 && global_step_ % cfg_.checkpoint_every == 0 && step_ < steps_per_epoch_)
      save(epoch_, step_);
    if (step_ < steps_per_epoch_ && stop_requested()) {
      save(epoch_, step_);
      progress_->end_epoch();
      if (leader_) std::printf("stopped at epoch %lld step %lld; continue with --resume %s\n",
                               static_cast<long long>(epoch_ + 1), static_cast<long long>(step_), cfg_.out.c_str());
      return kRunStopped;
    }
    // Test hook: the last rank (the only one without MPI) dies as a crashed machine would.
    if (cfg_.kill_after_steps > 0 && global_step_ == cfg_.kill_after_steps && cm_.rank() == cm_.size() - 1)
      raise(SIGKILL);
  }
  progress_->end_epoch();
  end_epoch(t);
  return kRunDone;
}

// One SGD step on this rank's share of a global batch; the loss and gradient are means over all
// of it. False when the loss is not finite (every rank sees the same global loss and stops).
bool TrainingRun::train_step(Batch& b, EpochTotals& t, float lr) {
  const double t_start = now_s();
  const int n = b.samples();
  if (net_->model_parallel()) {  // the exchanges need every rank's rows of this global batch
    const std::vector<int64_t> rows = cm_.allgather_count(n);
    if (*std::min_element(rows.begin(), rows.end()) == 0) {  // a rank's files all failed to decode
      if (leader_) std::fprintf(stderr, "\nwarning: a rank has no image of step %lld: skipped\n", static_cast<long long>(step_));
      ++step_;
      return true;
    }
    net_->set_batch_rows(rows);
  }
  double local_loss = 0, local_correct = 0;
  if (n > 0) {
    Tensor x(plain_md(net_->input_shape(n)), b.images.data());
    const Tensor& logits = net_->forward(x, Mode::train, hash3(cfg_.seed, 0xD809, global_step_), b.first_row);
    local_loss = xent_.forward(logits, b.labels) * n;
    for (int i = 0; i < n; ++i)
      local_correct += argmax(logits.data() + static_cast<size_t>(i) * classes_, classes_) == b.labels[i];
  }
  double sums[3] = {static_cast<double>(n), local_loss, local_correct};
  cm_.allreduce_sum(sums, 3);
  const int64_t n_global = static_cast<int64_t>(sums[0]);
  if (n_global == 0) {  // every file of this batch failed to decode
    ++step_;
    return true;
  }
  const double loss = sums[1] / n_global;
  if (!std::isfinite(loss)) {
    if (leader_) std::printf("\n");
    std::fprintf(stderr,
                 "error: the loss became %s at epoch %lld step %lld (lr %.4g): the run diverged. "
                 "The last good checkpoint is %s; resume with a lower --lr.\n",
                 std::isnan(loss) ? "NaN" : "infinite", static_cast<long long>(epoch_ + 1),
                 static_cast<long long>(step_), lr, ckpt_path_.c_str());
    return false;
  }
  epoch_correct_ += static_cast<int64_t>(sums[2]);
  if (n > 0) {
    // d_logits = (softmax - onehot) / n_global: the local share of the global mean
    xent_.backward(b.labels, net_->d_logits(), static_cast<double>(n) / n_global);
    net_->backward([&](const std::vector<Param*>& ps) {
      for (Param* p : ps) cm_.start_allreduce_sum(p->grad, p->size());
    });
  } else {
    std::fill(net_->grads(), net_->grads() + net_->num_params(), 0.f);
    for (Param* p : net_->params())
      if (!net_->is_frozen(p)) cm_.start_allreduce_sum(p->grad, p->size());
  }
  cm_.wait_all();
  SgdConfig sgd = cfg_.sgd;
  sgd.lr = lr;
  sgd_step(net_->values(), net_->grads(), net_->momenta(), ranges_, sgd);
  net_->params_changed();
  parts_shared_ = false;
  if (ema_) ema_->update(*net_, global_step_);
  t.step_seconds += now_s() - t_start;
  epoch_loss_ += loss * n_global;
  epoch_seen_ += n_global;
  ++step_, ++t.steps, ++global_step_, ++steps_this_run_;
  if (stuck_->stuck(loss, global_step_) && leader_) std::fprintf(stderr, "\n%s\n", stuck_->warning(global_step_).c_str());
  const bool every = cfg_.print_every > 0 && step_ % cfg_.print_every == 0;
  show_progress(t, lr);
  const bool hook_every = hooks_.on_record && hooks_.step_every > 0 && global_step_ % hooks_.step_every == 0;
  if ((every || hook_every) && leader_) {
    const double rate = static_cast<double>(t.steps) * cfg_.batch / std::max(now_s() - t.start, 1e-9);
    const json rec = {{"type", "step"}, {"epoch", epoch_ + 1}, {"step", step_}, {"global_step", global_step_},
                      {"loss", loss}, {"lr", lr}, {"images_per_s", rate}};
    if (every) log(rec);
    else hooks_.on_record(rec);
  }
  return true;
}

// The progress line: this epoch's rate and data wait, the ETA from this run's steps so far.
void TrainingRun::show_progress(const EpochTotals& t, float lr) {
  const double el = std::max(now_s() - t.start, 1e-9);
  const double steps_left = static_cast<double>((cfg_.epochs - epoch_ - 1) * steps_per_epoch_ + (steps_per_epoch_ - step_));
  const double per_step = (now_s() - run_start_) / std::max<int64_t>(1, steps_this_run_);
  progress_->show({epoch_ + 1, cfg_.epochs, step_, steps_per_epoch_, epoch_loss_ / epoch_seen_,
                   static_cast<double>(epoch_correct_) / epoch_seen_, lr, t.steps * cfg_.batch / el,
                   t.data_wait / el, steps_left * per_step},
                  step_ == steps_per_epoch_);
}

// ---- the end of an epoch -----------------------------------------------------------------

void TrainingRun::end_epoch(EpochTotals& t) {
  const double train_time = now_s() - t.start;
  if (cm_.distributed()) {  // every rank's share of the skipped files
    double f = static_cast<double>(t.skipped);
    cm_.allreduce_sum(&f, 1);
    t.skipped = static_cast<int64_t>(f);
  }
  json rec = {{"type", "epoch"}, {"epoch", epoch_ + 1}, {"global_step", global_step_},
              {"train_loss", epoch_loss_ / std::max<int64_t>(1, epoch_seen_)},
              {"train_top1_error", 1.0 - static_cast<double>(epoch_correct_) / std::max<int64_t>(1, epoch_seen_)},
              {"lr", schedule_.lr_at(static_cast<int>(epoch_), 0.999)}, {"train_seconds", train_time},
              {"images_per_s", t.steps * cfg_.batch / std::max(train_time, 1e-9)},
              {"data_wait_share", t.data_wait / std::max(train_time, 1e-9)}, {"skipped_files", t.skipped},
              {"processes", cm_.size()}};
  if (cm_.distributed()) {
    // A step: computing; waiting for the other ranks at the loss (the slower one's lead); and
    // waiting for what the gradients' reductions did not finish during the backward.
    const double steps = static_cast<double>(std::max<int64_t>(1, t.steps));
    rec["parallel"] = net_->model_parallel() ? "hybrid" : "data";
    rec["allreduce_seconds"] = cm_.wait_seconds();
    rec["allreduce_bytes_per_step"] = cm_.bytes_reduced() / std::max<int64_t>(1, t.steps);
    rec["bytes_sent_per_step"] = cm_.bytes_sent() / std::max<int64_t>(1, t.steps);
    rec["step_seconds"] = t.step_seconds / steps;
    rec["comm_wait_seconds_per_step"] = cm_.wait_seconds() / steps;
    rec["sync_wait_seconds_per_step"] = cm_.sync_seconds() / steps;
    // hybrid: the activations' exchanges, inside the forward and backward
    rec["exchange_seconds_per_step"] = cm_.exchange_seconds() / steps;
    rec["compute_seconds_per_step"] =
        (t.step_seconds - cm_.wait_seconds() - cm_.sync_seconds() - cm_.exchange_seconds()) / steps;
  }
  share_parts();
  if (t.skipped > 0 && leader_) {
    std::fprintf(stderr, "epoch %lld: skipped %lld files that do not decode:", static_cast<long long>(epoch_ + 1),
                 static_cast<long long>(t.skipped));
    for (auto& f : t.skipped_names) std::fprintf(stderr, "\n  %s", f.c_str());
    std::fprintf(stderr, "\n");
    rec["skipped_examples"] = t.skipped_names;
  }
  // The average is what is evaluated and kept; the weights SGD holds are evaluated first, to
  // show what it gains.
  if (ema_ && val_set_) rec["val_top1_error_sgd_weights"] = evaluate_val().top1_error;
  if (ema_) ema_->swap_with(*net_);
  const double val_error = validate(rec);
  if (val_error < best_error_) {
    best_error_ = val_error;
    if (leader_) save_weights(*net_, info_, best_path_);
  }
  if (ema_) ema_->swap_with(*net_);
  if (schedule_.end_epoch(static_cast<int>(epoch_), val_error) && leader_)
    std::printf("validation error stopped improving: lr divided by 10, now %.4g\n", schedule_.lr());
  if (cm_.distributed()) {  // the ranks must still hold the same weights
    if (!same_on_all_ranks(cm_, net_->values(), net_->num_params()))
      fail("the ranks' weights diverged at epoch " + std::to_string(epoch_ + 1) +
           " (different binaries or libraries on the machines?)");
    if (leader_) std::printf("weights identical on %d ranks\n", cm_.size());
  }
  if (leader_) {
    log(rec);
    const Image filters = filter_grid(*net_->params().front());
    events_->add_image(global_step_, "conv1_filters", encode_image(filters, ".png", 0, "conv1 filters"),
                       filters.height, filters.width);
    events_->flush();
  }
  replan_time_budget(now_s() - t.start);
  epoch_loss_ = 0;
  epoch_correct_ = epoch_seen_ = 0;
  save(epoch_ + 1, 0);
}

// Top-1 error on the validation set (every rank evaluates its shard), or the training error
// when there is none. Adds the validation numbers to the epoch's record and prints them.
double TrainingRun::validate(json& rec) {
  if (!val_set_) {
    if (leader_)
      std::printf("epoch %lld/%d: train loss %.4f top-1 err %.2f%% (no validation set)\n",
                  static_cast<long long>(epoch_ + 1), cfg_.epochs, rec["train_loss"].get<double>(),
                  100 * rec["train_top1_error"].get<double>());
    std::fflush(stdout);
    return rec["train_top1_error"];
  }
  const EvalResult r = evaluate_val();
  rec["val_loss"] = r.loss;
  rec["val_top1_error"] = r.top1_error;
  rec["val_top5_error"] = r.top5_error;
  rec["val_top1"] = 1.0 - r.top1_error;
  if (leader_)
    std::printf("epoch %lld/%d: train loss %.4f top-1 err %.2f%% | val loss %.4f top-1 err %.2f%% top-5 err %.2f%% "
                "| %.0f img/s, %s\n",
                static_cast<long long>(epoch_ + 1), cfg_.epochs, rec["train_loss"].get<double>(),
                100 * rec["train_top1_error"].get<double>(), r.loss, 100 * r.top1_error, 100 * r.top5_error,
                rec["images_per_s"].get<double>(), fmt_time(now_s() - run_start_).c_str());
  std::fflush(stdout);
  return r.top1_error;
}

EvalResult TrainingRun::evaluate_val() {
  EvalOptions eo;
  eo.batch = 500;
  eo.workers = cfg_.workers;
  eo.progress = progress_->tty() && isatty(STDERR_FILENO);
  eo.shard = cm_.rank();
  eo.shards = cm_.size();
  EvalResult r = evaluate(*net_, *val_set_, test_transform(arch_, tf_.norm, tf_.mean_image), eo);
  if (cm_.distributed()) sum_over_ranks(cm_, r);
  r.finish();
  return r;
}

// A record to metrics.jsonl and its numbers, as scalars, to the TensorBoard events file.
void TrainingRun::log(const json& rec) {
  append_line(log_path_, rec);
  events_->add_scalars(rec);
  if (hooks_.on_record) hooks_.on_record(rec);
}

void TrainingRun::save(int64_t epoch, int64_t step) {
  share_parts();
  if (!leader_) return;
  events_->flush();
  RunPosition at;
  at.epoch = epoch, at.step = step, at.global_step = global_step_;
  at.epoch_loss = epoch_loss_, at.epoch_correct = epoch_correct_, at.epoch_seen = epoch_seen_;
  at.best_error = best_error_;
  at.schedule = schedule_.state();
  at.epochs = cfg_.epochs;
  at.budget_used_s = cfg_.time_budget_s > 0 ? budget_used() : 0.0;
  at.recent_epoch_seconds = recent_epoch_seconds_;
  at.log_bytes = fs::exists(log_path_) ? fs::file_size(log_path_) : 0;
  save_checkpoint(ckpt_path_, *net_, info_, to_json(at), ema_ ? ema_->data() : nullptr);
}

}  // namespace alexnet
