// alexnet::train (include/alexnet/alexnet.hpp): the command's training run, its request turned
// into the command's own flags (cli/train_args.hpp) so that a default or a check cannot differ
// between the command and the API.
#include "api/guarded.hpp"
#include "cli/train_args.hpp"
#include "train/training_run.hpp"
#include "util/json_text.hpp"

namespace alexnet {

namespace {

std::vector<std::string> train_args(const TrainingRequest& q) {
  std::vector<std::string> args;
  auto put = [&](const char* flag, const std::string& value) {
    if (!value.empty()) args.insert(args.end(), {flag, value});
  };
  auto put_number = [&](const char* flag, auto value) {
    if (value > 0) args.insert(args.end(), {flag, json_text(nlohmann::json(value))});
  };
  put("--resume", q.resume);
  put("--data", q.data);
  put("--out", q.out);
  put("--arch", q.arch);
  put("--val", q.val);
  put_number("--epochs", q.epochs);
  put_number("--batch", q.batch);
  put_number("--lr", q.lr);
  put("--time-budget", q.time_budget);
  put("--init-from", q.init_from);
  put("--reinit", q.reinit);
  put_number("--threads", q.threads);
  args.insert(args.end(), q.flags.begin(), q.flags.end());
  return args;
}

TrainingProgress progress_of(const nlohmann::json& rec) {
  TrainingProgress p;
  p.kind = rec.value("type", "");
  p.epoch = rec.value("epoch", 0);
  p.step = rec.value("step", rec.value("global_step", int64_t{0}));
  p.loss = rec.value("loss", rec.value("train_loss", 0.0));
  p.images_per_second = rec.value("images_per_s", 0.0);
  p.val_error = rec.value("val_top1_error", -1.0);
  p.json = json_text(rec);
  return p;
}

}  // namespace

TrainingResult train(const TrainingRequest& request, const TrainingOptions& options) {
  return api::guarded([&] {
    TrainPlan plan = cli::plan_from_train_args(train_args(request));
    RunHooks hooks;
    bool stop = false;
    if (options.on_progress) {
      hooks.step_every = options.step_every;
      hooks.on_record = [&](const nlohmann::json& rec) {
        if (rec.value("type", "") == "step" || rec.value("type", "") == "epoch")
          stop = stop || !options.on_progress(progress_of(rec));
      };
      hooks.stop = [&] { return stop; };
    }
    TrainingResult result;
    result.out = plan.cfg.out;
    result.best_weights = plan.cfg.out + "/best.safetensors";
    const int code = run_training(std::move(plan), hooks);
    result.status = code == kRunDone       ? TrainingStatus::done
                    : code == kRunDiverged ? TrainingStatus::diverged
                                           : TrainingStatus::stopped;
    return result;
  });
}

}  // namespace alexnet
