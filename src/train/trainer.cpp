#include "train/trainer.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "data/loader.hpp"
#include "data/split.hpp"
#include "dist/comm.hpp"
#include "data/stats.hpp"
#include "layers/softmax_xent.hpp"
#include "model/weights.hpp"
#include "tensor/engine.hpp"
#include "train/checkpoint.hpp"
#include "train/evaluate.hpp"
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
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(TrainConfig, arch, data, val, out, data_kind, stats, epochs, batch, sgd, dropout,
                                   init, seed, threads, workers, schedule, checkpoint_every, print_every,
                                   stuck_steps, strict, pca, flip, limit, val_limit, val_split)

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
  c.schedule.base_lr = c.sgd.lr;
  c.schedule.epochs = c.epochs;
  if (c.epochs < 1) fail("--epochs must be at least 1");
  if (c.batch < 1) fail("--batch must be at least 1");
  if (!(c.dropout >= 0 && c.dropout < 1)) fail("--dropout must be in [0, 1)");
}

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string fmt_time(double s) {
  char b[32];
  const int t = static_cast<int>(s);
  if (t >= 3600) std::snprintf(b, sizeof b, "%dh%02dm", t / 3600, t / 60 % 60);
  else std::snprintf(b, sizeof b, "%dm%02ds", t / 60, t % 60);
  return b;
}

std::unique_ptr<Dataset> open_limited(const std::string& path, const std::string& kind,
                                      DatasetSplit split, int64_t limit) {
  return take_prefix(open_dataset(path, kind, split), limit);
}

// Compares a hash of the buffer across ranks: its 16-bit pieces have zero variance over the
// ranks exactly when every rank holds the same bytes (sums of squares stay exact in doubles).
bool same_on_all_ranks(Comm& cm, const float* v, int64_t n) {
  uint64_t h = 1469598103934665603ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(v);
  for (int64_t i = 0; i < n * 4; ++i) h = (h ^ bytes[i]) * 1099511628211ull;
  double s[8];
  for (int k = 0; k < 4; ++k) {
    const double piece = static_cast<double>((h >> (16 * k)) & 0xffff);
    s[k] = piece;
    s[4 + k] = piece * piece;
  }
  cm.allreduce_sum(s, 8);
  for (int k = 0; k < 4; ++k)
    if (s[4 + k] * cm.size() != s[k] * s[k]) return false;
  return true;
}

void append_line(const std::string& path, const json& j) {
  std::ofstream f(path, std::ios::app);
  f << j.dump() << "\n";
  f.flush();
  if (!f) fail(path + ": cannot append to the metrics log");
}

}  // namespace

int train(TrainConfig cfg, bool resume) {
  if (cfg.out.empty()) fail("--out RUN_DIR is required");
  const std::string cfg_path = cfg.out + "/config.json", ckpt_path = cfg.out + "/checkpoint.safetensors";
  const std::string log_path = cfg.out + "/metrics.jsonl", best_path = cfg.out + "/best.safetensors";
  json state;
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
    apply_arch_defaults(cfg);
  }
  set_threads(cfg.threads);
  Comm& cm = comm();
  const bool leader = cm.leader();  // rank 0 alone writes files and prints progress
  const ArchSpec& arch = arch_by_name(cfg.arch);
  LrSchedule schedule(cfg.schedule);  // checks the schedule's flags before any data is read

  // Data, checked before anything trains.
  // Validation is --val, else a share of the training data held out (never the test split:
  // choosing weights and lr drops on it would make the test number a best of many looks).
  auto train_set = open_limited(cfg.data, cfg.data_kind, DatasetSplit::train, cfg.limit);
  const int classes = train_set->classes();
  std::unique_ptr<Dataset> val_set;
  if (!cfg.val.empty()) {
    val_set = open_limited(cfg.val, "auto", DatasetSplit::test, cfg.val_limit);
  } else if (cfg.val_split > 0) {
    HeldOut h = hold_out(std::move(train_set), cfg.val_split, cfg.seed);
    train_set = std::move(h.train);
    val_set = take_prefix(std::move(h.val), cfg.val_limit);
    if (leader)
      std::printf("validation: %lld of the training samples held out (--val-split %.4g, seed %llu), %lld left to train on\n",
                  static_cast<long long>(val_set->size()), cfg.val_split,
                  static_cast<unsigned long long>(cfg.seed), static_cast<long long>(train_set->size()));
  }
  if (val_set) val_set = align_classes(std::move(val_set), train_set->class_names());
  if (val_set && val_set->classes() > classes)
    fail(val_set->path() + ": has labels up to " + std::to_string(val_set->classes() - 1) +
         ", the training set only " + std::to_string(classes) + " classes");
  if (cfg.batch < cm.size())
    fail("--batch " + std::to_string(cfg.batch) + " is smaller than the " + std::to_string(cm.size()) +
         " ranks it is split across");
  if (train_set->size() < cfg.batch)
    fail(cfg.data + ": " + std::to_string(train_set->size()) + " samples, fewer than one batch of " +
         std::to_string(cfg.batch));

  // The input transform: statistics from --stats, else the data set's own (alexnet-mini) or the
  // architecture's defaults (ImageNet's, SPEC §2).
  TransformConfig tf;
  tf.resize = arch.resize;
  tf.crop = arch.crop;
  tf.flip = cfg.flip;
  tf.pca_std = cfg.pca ? 0.1f : 0.f;
  tf.norm = arch.default_norm;
  ModelInfo info;
  info.arch = arch.name;
  info.class_names = train_set->class_names();
  if (!cfg.stats.empty() || arch.default_norm_from_data) {
    const DataStats st = !cfg.stats.empty() ? load_stats(cfg.stats)
                                            : compute_stats(*train_set, arch.resize, 10000, 2);
    if (st.resize != arch.resize)
      fail(cfg.stats + ": statistics for side " + std::to_string(st.resize) + ", " + arch.name + " needs " +
           std::to_string(arch.resize));
    tf.pca = st.pca;
    if (arch.name == "alexnet") {
      tf.mean_image = st.mean_image;  // the paper: subtract the mean image, no scaling
      info.mean_image = st.mean_image;
    } else {
      tf.norm = st.norm;
    }
  }
  info.norm = tf.norm;

  Network net(arch, classes);
  net.init(cfg.init == "paper" ? InitKind::paper : InitKind::kaiming, cfg.seed);
  net.set_dropout(cfg.dropout);

  int64_t epoch = 0, step = 0, global_step = 0;
  double epoch_loss = 0, best_error = 2;
  int64_t epoch_correct = 0, epoch_seen = 0;
  if (resume) {
    ModelInfo saved = peek_checkpoint(ckpt_path, &state);
    if (saved.arch != arch.name) fail(ckpt_path + ": checkpoint of " + saved.arch + ", config says " + arch.name);
    state = load_checkpoint(ckpt_path, net);
    try {
      epoch = state.at("epoch");
      step = state.at("step");
      global_step = state.at("global_step");
      epoch_loss = state.at("epoch_loss");
      epoch_correct = state.at("epoch_correct");
      epoch_seen = state.at("epoch_seen");
      best_error = state.at("best_error");
      schedule.restore(state.at("schedule"));
      // Forget log lines written after this checkpoint by the run that was killed.
      if (fs::exists(log_path)) fs::resize_file(log_path, state.at("log_bytes").get<uintmax_t>());
    } catch (const json::exception& e) {
      fail(ckpt_path + ": train_state is incomplete (" + e.what() + ")");
    }
    if (leader)
      std::printf("resuming %s at epoch %lld, step %lld\n", cfg.out.c_str(), static_cast<long long>(epoch + 1),
                  static_cast<long long>(step));
  } else if (leader) {
    fs::create_directories(cfg.out);
    write_file_atomic(cfg_path, to_json(cfg).dump(2) + "\n");
    write_file_atomic(log_path, "");
  }

  LoaderConfig lc;
  lc.batch = cfg.batch;
  lc.workers = cfg.workers;
  lc.train = true;
  lc.strict = cfg.strict;
  lc.seed = cfg.seed;
  lc.shard = cm.rank();
  lc.shards = cm.size();
  Loader loader(*train_set, tf, lc);
  const int64_t steps = loader.batches_per_epoch();
  const bool tty = leader && isatty(STDOUT_FILENO);
  const double ln_k = std::log(static_cast<double>(classes));
  if (leader)
  std::printf("training %s (%lld parameters, %s init) on %s: %lld images, %d classes, %lld steps/epoch, "
              "%d epochs, %s lr %.4g, %d threads x %d processes\n",
              arch.name.c_str(), static_cast<long long>(net.num_params()), cfg.init.c_str(),
              cfg.data.c_str(), static_cast<long long>(train_set->size()), classes,
              static_cast<long long>(steps), cfg.epochs, cfg.schedule.kind.c_str(), cfg.sgd.lr,
              num_threads(), cm.size());
  std::fflush(stdout);

  auto save = [&](int64_t e, int64_t s) {
    if (!leader) return;
    const json st = {{"epoch", e}, {"step", s}, {"global_step", global_step},
                     {"epoch_loss", epoch_loss}, {"epoch_correct", epoch_correct},
                     {"epoch_seen", epoch_seen}, {"best_error", best_error},
                     {"schedule", schedule.state()},
                     {"log_bytes", fs::exists(log_path) ? fs::file_size(log_path) : 0}};
    save_checkpoint(ckpt_path, net, info, st);
  };

  SoftmaxCrossEntropy xent;
  const double run_start = now_s();
  int64_t steps_done_this_run = 0;
  std::vector<double> recent;  // the last losses, for the "not learning" warning
  bool warned_stuck = false;
  for (; epoch < cfg.epochs; ++epoch, step = 0) {
    loader.start_epoch(epoch, step);
    Batch b;
    const double epoch_start = now_s();
    double wait = 0, t_last = now_s();
    int64_t steps_this_epoch = 0;  // by this process (a resumed epoch starts midway)
    cm.reset_counters();
    int64_t failed = 0;
    std::vector<std::string> failed_names;
    for (;;) {
      const double t0 = now_s();
      if (!loader.next(b)) break;
      wait += now_s() - t0;
      failed += static_cast<int64_t>(b.failed.size());
      for (auto& f : b.failed)
        if (failed_names.size() < 20) failed_names.push_back(f);
      const int n = b.samples();
      const float lr = schedule.lr_at(static_cast<int>(epoch), static_cast<double>(step) / steps);
      // Every rank's share of the global batch; the loss and gradient are means over all of it.
      double local_loss = 0, local_correct = 0;
      if (n > 0) {
        Tensor x(plain_md(net.input_shape(n)), b.images.data());
        const Tensor& logits = net.forward(x, Mode::train, hash3(cfg.seed, 0xD809, global_step), b.first_row);
        local_loss = xent.forward(logits, b.labels) * n;
        for (int i = 0; i < n; ++i)
          local_correct += argmax(logits.data() + static_cast<size_t>(i) * classes, classes) == b.labels[i];
      }
      double sums[3] = {static_cast<double>(n), local_loss, local_correct};
      cm.allreduce_sum(sums, 3);
      const int64_t n_global = static_cast<int64_t>(sums[0]);
      if (n_global == 0) { ++step; continue; }  // every file of this batch failed to decode
      const double loss = sums[1] / n_global;
      if (!std::isfinite(loss)) {  // every rank sees the same global loss and stops
        if (leader) std::printf("\n");
        std::fprintf(stderr,
                     "error: the loss became %s at epoch %lld step %lld (lr %.4g): the run diverged. "
                     "The last good checkpoint is %s; resume with a lower --lr.\n",
                     std::isnan(loss) ? "NaN" : "infinite", static_cast<long long>(epoch + 1),
                     static_cast<long long>(step), lr, ckpt_path.c_str());
        return 1;
      }
      epoch_correct += static_cast<int64_t>(sums[2]);
      if (n > 0) {
        // d_logits = (softmax - onehot) / n_global: the local share of the global mean
        xent.backward(b.labels, net.d_logits(), static_cast<double>(n) / n_global);
        net.backward([&](const std::vector<Param*>& ps) {
          for (Param* p : ps) cm.start_allreduce_sum(p->grad, p->size());
        });
      } else {
        std::fill(net.grads(), net.grads() + net.num_params(), 0.f);
        for (Param* p : net.params()) cm.start_allreduce_sum(p->grad, p->size());
      }
      cm.wait_all();
      SgdConfig sgd = cfg.sgd;
      sgd.lr = lr;
      sgd_step(net.values(), net.grads(), net.momenta(), net.num_params(), sgd);
      net.params_changed();
      epoch_loss += loss * n_global;
      epoch_seen += n_global;
      ++step;
      ++steps_this_epoch;
      ++global_step;
      ++steps_done_this_run;

      // The mean of the last (up to) 50 losses, against ln(classes).
      const size_t window = static_cast<size_t>(std::clamp<int64_t>(cfg.stuck_steps, 1, 50));
      recent.push_back(loss);
      if (recent.size() > window) recent.erase(recent.begin());
      if (leader && !warned_stuck && cfg.stuck_steps > 0 && global_step >= cfg.stuck_steps && recent.size() == window) {
        double m = 0;
        for (double v : recent) m += v / static_cast<double>(window);
        if (m > 0.97 * ln_k) {
          warned_stuck = true;
          std::fprintf(stderr,
                       "\nwarning: after %lld steps the loss is still %.3f, about ln(%d) = %.3f: the "
                       "network is not learning. Likely causes: the init (try --init kaiming; the "
                       "paper's N(0, 0.01) is known to stall) or the lr (--lr).\n",
                       static_cast<long long>(global_step), m, classes, ln_k);
        }
      }

      const bool print = leader && (tty ? (now_s() - t_last > 0.25 || step == steps)
                                        : (cfg.print_every > 0 && step % cfg.print_every == 0));
      if (leader && (print || step == steps)) {
        t_last = now_s();
        const double el = now_s() - epoch_start;
        const double rate = static_cast<double>(steps_this_epoch) * cfg.batch / std::max(el, 1e-9);
        const double total_left = static_cast<double>((cfg.epochs - epoch - 1) * steps + (steps - step));
        const double per_step = (now_s() - run_start) / std::max<int64_t>(1, steps_done_this_run);
        char line[256];
        std::snprintf(line, sizeof line,
                      "epoch %lld/%d step %lld/%lld loss %.4f top-1 %.2f%% lr %.3g %.0f img/s data-wait %.0f%% ETA %s",
                      static_cast<long long>(epoch + 1), cfg.epochs, static_cast<long long>(step),
                      static_cast<long long>(steps), epoch_loss / epoch_seen,
                      100.0 * epoch_correct / epoch_seen, lr, rate, 100.0 * wait / std::max(el, 1e-9),
                      fmt_time(total_left * per_step).c_str());
        if (tty) std::printf("\r%s\033[K", line);
        else if (print) std::printf("%s\n", line);
        std::fflush(stdout);
        if (cfg.print_every > 0 && step % cfg.print_every == 0 && leader)
          append_line(log_path, {{"type", "step"}, {"epoch", epoch + 1}, {"step", step},
                                 {"global_step", global_step}, {"loss", loss}, {"lr", lr},
                                 {"images_per_s", rate}});
      }
      if (cfg.checkpoint_every > 0 && global_step % cfg.checkpoint_every == 0 && step < steps)
        save(epoch, step);
      // Test hook: the last rank (the only one without MPI) dies as a crashed machine would.
      if (cfg.kill_after_steps > 0 && global_step == cfg.kill_after_steps && cm.rank() == cm.size() - 1)
        raise(SIGKILL);
    }
    if (tty) std::printf("\n");
    const double train_time = now_s() - epoch_start;
    if (cm.distributed()) {  // every rank's share of the skipped files
      double f = static_cast<double>(failed);
      cm.allreduce_sum(&f, 1);
      failed = static_cast<int64_t>(f);
    }
    json rec = {{"type", "epoch"}, {"epoch", epoch + 1},
                {"train_loss", epoch_loss / std::max<int64_t>(1, epoch_seen)},
                {"train_top1_error", 1.0 - static_cast<double>(epoch_correct) / std::max<int64_t>(1, epoch_seen)},
                {"lr", schedule.lr_at(static_cast<int>(epoch), 0.999)}, {"train_seconds", train_time},
                {"images_per_s", steps_this_epoch * cfg.batch / std::max(train_time, 1e-9)},
                {"data_wait_share", wait / std::max(train_time, 1e-9)}, {"skipped_files", failed},
                {"processes", cm.size()}};
    if (cm.distributed()) {
      rec["allreduce_seconds"] = cm.allreduce_seconds();
      rec["allreduce_bytes_per_step"] = cm.bytes_reduced() / std::max<int64_t>(1, steps_this_epoch);
    }
    if (failed > 0 && leader) {
      std::fprintf(stderr, "epoch %lld: skipped %lld files that do not decode:", static_cast<long long>(epoch + 1),
                   static_cast<long long>(failed));
      for (auto& f : failed_names) std::fprintf(stderr, "\n  %s", f.c_str());
      std::fprintf(stderr, "\n");
      rec["skipped_examples"] = failed_names;
    }
    double val_error = rec["train_top1_error"];
    if (val_set) {
      EvalOptions eo;
      eo.batch = 500;
      eo.workers = cfg.workers;
      eo.progress = tty && isatty(STDERR_FILENO);
      eo.shard = cm.rank();
      eo.shards = cm.size();
      EvalResult r = evaluate(net, *val_set, test_transform(arch, tf.norm, tf.mean_image), eo);
      if (cm.distributed()) {  // add up the shards
        std::vector<double> s = {static_cast<double>(r.samples), r.loss_sum, r.top1_correct, r.top5_correct};
        for (int64_t c : r.confusion.counts) s.push_back(static_cast<double>(c));
        cm.allreduce_sum(s.data(), static_cast<int64_t>(s.size()));
        r.samples = static_cast<int64_t>(s[0]), r.loss_sum = s[1], r.top1_correct = s[2], r.top5_correct = s[3];
        for (size_t i = 0; i < r.confusion.counts.size(); ++i) r.confusion.counts[i] = static_cast<int64_t>(s[4 + i]);
      }
      r.finish();
      val_error = r.top1_error;
      rec["val_loss"] = r.loss;
      rec["val_top1_error"] = r.top1_error;
      rec["val_top5_error"] = r.top5_error;
      rec["val_top1"] = 1.0 - r.top1_error;
      if (leader)
      std::printf("epoch %lld/%d: train loss %.4f top-1 err %.2f%% | val loss %.4f top-1 err %.2f%% top-5 err %.2f%% "
                  "| %.0f img/s, %s\n",
                  static_cast<long long>(epoch + 1), cfg.epochs, rec["train_loss"].get<double>(),
                  100 * rec["train_top1_error"].get<double>(), r.loss, 100 * r.top1_error,
                  100 * r.top5_error, rec["images_per_s"].get<double>(), fmt_time(now_s() - run_start).c_str());
    } else if (leader) {
      std::printf("epoch %lld/%d: train loss %.4f top-1 err %.2f%% (no validation set)\n",
                  static_cast<long long>(epoch + 1), cfg.epochs, rec["train_loss"].get<double>(),
                  100 * rec["train_top1_error"].get<double>());
    }
    std::fflush(stdout);
    if (val_error < best_error) {
      best_error = val_error;
      if (leader) save_weights(net, info, best_path);
    }
    if (schedule.end_epoch(static_cast<int>(epoch), val_error) && leader)
      std::printf("validation error stopped improving: lr divided by 10, now %.4g\n", schedule.lr());
    if (cm.distributed()) {  // the ranks must still hold the same weights
      if (!same_on_all_ranks(cm, net.values(), net.num_params()))
        fail("the ranks' weights diverged at epoch " + std::to_string(epoch + 1) +
             " (different binaries or libraries on the machines?)");
      if (leader) std::printf("weights identical on %d ranks\n", cm.size());
    }
    if (leader) append_line(log_path, rec);
    epoch_loss = 0;
    epoch_correct = epoch_seen = 0;
    save(epoch + 1, 0);
  }
  if (leader)
  std::printf("done: best %s top-1 error %.2f%%, weights in %s\n", val_set ? "validation" : "training",
              100 * best_error, best_path.c_str());
  return 0;
}

}  // namespace alexnet
