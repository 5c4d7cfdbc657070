#include "train/run_log.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "infer/filter_grid.hpp"
#include "kernels/tuning.hpp"
#include "train/event_file.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet {

namespace fs = std::filesystem;
using json = nlohmann::json;

RunLog::RunLog(const std::string& dir, bool leader, std::function<void(const json&)> on_record)
    : files_(dir), on_(leader), on_record_(std::move(on_record)) {}

RunLog::~RunLog() = default;

void RunLog::start(const TrainConfig& cfg) {
  if (!on_) return;
  fs::create_directories(files_.dir);
  write_config(cfg);
  std::string amendments;  // the plan's changes open the log, each with its reason
  for (const json& a : cfg.amendments)
    amendments += json_text(json{{"type", "plan"}, {"change", a["change"]}, {"why", a["why"]}}) + "\n";
  write_file_atomic(files_.metrics, amendments);
  events_ = std::make_unique<EventWriter>(files_.dir, 0);
}

void RunLog::resume(uint64_t log_bytes, int64_t global_step) {
  reuse_kernels();
  if (!on_) return;
  if (fs::exists(files_.metrics))
    fs::resize_file(files_.metrics, std::min<uintmax_t>(log_bytes, fs::file_size(files_.metrics)));
  // TensorBoard reads every events file in the folder; the new one starts where the checkpoint
  // does, and its readers keep the latest value of a step.
  events_ = std::make_unique<EventWriter>(files_.dir, global_step);
}

void RunLog::write_config(const TrainConfig& cfg) {
  if (on_) write_file_atomic(files_.config, to_json(cfg).dump(2) + "\n");
}

void RunLog::before_checkpoint() {
  flush();
  if (on_) write_file_atomic(files_.kernels, choices_text(choices_made()));
}

void RunLog::reuse_kernels() {
  if (!fs::exists(files_.kernels)) return;  // a run from before kernels were recorded
  try {
    force_choices(read_choices(read_file(files_.kernels), files_.kernels));
  } catch (const UserError& e) {
    std::fprintf(stderr, "alexnet: warning: %s; the kernels are chosen again (the last bits may differ)\n", e.what());
  }
}

void RunLog::append(const json& rec) {
  std::ofstream f(files_.metrics, std::ios::app);
  f << json_text(rec) << "\n";
  f.flush();
  if (!f) fail(files_.metrics + ": cannot append to the metrics log");
}

void RunLog::record(const json& rec) {
  if (!on_) return;
  append(rec);
  events_->add_scalars(rec);
  if (on_record_) on_record_(rec);
}

void RunLog::plan_change(const json& rec) {
  if (!on_) return;
  append(rec);
  if (on_record_) on_record_(rec);
}

void RunLog::hook_only(const json& rec) {
  if (on_ && on_record_) on_record_(rec);
}

void RunLog::conv1_image(int64_t global_step, const Param& conv1_weight) {
  if (!on_) return;
  const Image filters = filter_grid(conv1_weight);
  events_->add_image(global_step, "conv1_filters", encode_image(filters, ".png", 0, "conv1 filters"), filters.height,
                     filters.width);
}

void RunLog::flush() {
  if (events_) events_->flush();
}

uint64_t RunLog::metrics_bytes() const { return fs::exists(files_.metrics) ? fs::file_size(files_.metrics) : 0; }

}  // namespace alexnet
