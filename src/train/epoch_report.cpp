#include "train/epoch_report.hpp"

#include <algorithm>
#include <cstdio>

#include "parallel/comm.hpp"
#include "train/progress.hpp"

namespace alexnet {

using json = nlohmann::json;

void EpochTotals::add_skipped(const std::vector<std::string>& files) {
  skipped += static_cast<int64_t>(files.size());
  for (const std::string& f : files)
    if (skipped_names.size() < 20) skipped_names.push_back(f);
}

namespace {

// A step: computing; waiting for the other ranks at the loss (the slower one's lead); and
// waiting for what the gradients' reductions did not finish during the backward.
void add_comm_times(json& rec, Comm& cm, const EpochTotals& t, bool hybrid) {
  const int64_t steps = std::max<int64_t>(1, t.steps);
  const double n = static_cast<double>(steps);
  rec["parallel"] = hybrid ? "hybrid" : "data";
  rec["allreduce_seconds"] = cm.wait_seconds();
  rec["allreduce_bytes_per_step"] = cm.bytes_reduced() / steps;
  rec["bytes_sent_per_step"] = cm.bytes_sent() / steps;
  rec["step_seconds"] = t.step_seconds / n;
  rec["comm_wait_seconds_per_step"] = cm.wait_seconds() / n;
  rec["sync_wait_seconds_per_step"] = cm.sync_seconds() / n;
  // hybrid: the activations' exchanges, inside the forward and backward
  rec["exchange_seconds_per_step"] = cm.exchange_seconds() / n;
  rec["compute_seconds_per_step"] = (t.step_seconds - cm.wait_seconds() - cm.sync_seconds() - cm.exchange_seconds()) / n;
}

}  // namespace

json epoch_record(const RunPosition& pos, EpochTotals& t, double lr, int batch, double train_seconds, Comm& cm,
                  bool hybrid) {
  if (cm.distributed()) {  // every rank's share of the skipped files
    double f = static_cast<double>(t.skipped);
    cm.allreduce_sum(&f, 1);
    t.skipped = static_cast<int64_t>(f);
  }
  const double seen = static_cast<double>(std::max<int64_t>(1, pos.epoch_seen));
  json rec = {{"type", "epoch"}, {"epoch", pos.epoch + 1}, {"global_step", pos.global_step},
              {"train_loss", pos.epoch_loss / seen},
              {"train_top1_error", 1.0 - static_cast<double>(pos.epoch_correct) / seen},
              {"lr", lr}, {"train_seconds", train_seconds},
              {"images_per_s", t.steps * batch / std::max(train_seconds, 1e-9)},
              {"data_wait_share", t.data_wait / std::max(train_seconds, 1e-9)}, {"skipped_files", t.skipped},
              {"processes", cm.size()}};
  if (cm.distributed()) add_comm_times(rec, cm, t, hybrid);
  return rec;
}

void print_epoch(const json& rec, int epochs, double elapsed_seconds) {
  const long long epoch = rec["epoch"];
  const double loss = rec["train_loss"], error = rec["train_top1_error"];
  if (!rec.contains("val_loss")) {
    std::printf("epoch %lld/%d: train loss %.4f top-1 err %.2f%% (no validation set)\n", epoch, epochs, loss, 100 * error);
    return;
  }
  std::printf("epoch %lld/%d: train loss %.4f top-1 err %.2f%% | val loss %.4f top-1 err %.2f%% top-5 err %.2f%% "
              "| %.0f img/s, %s\n",
              epoch, epochs, loss, 100 * error, rec["val_loss"].get<double>(), 100 * rec["val_top1_error"].get<double>(),
              100 * rec["val_top5_error"].get<double>(), rec["images_per_s"].get<double>(),
              fmt_time(elapsed_seconds).c_str());
}

void report_skipped(const EpochTotals& t, int64_t epoch, bool leader, json& rec) {
  if (t.skipped == 0 || !leader) return;
  std::fprintf(stderr, "epoch %lld: skipped %lld files that do not decode:", static_cast<long long>(epoch + 1),
               static_cast<long long>(t.skipped));
  for (const std::string& f : t.skipped_names) std::fprintf(stderr, "\n  %s", f.c_str());
  std::fprintf(stderr, "\n");
  rec["skipped_examples"] = t.skipped_names;
}

}  // namespace alexnet
