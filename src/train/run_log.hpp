// A run's folder and its records. RUN_DIR holds config.json (the plan), checkpoint.safetensors,
// best.safetensors, metrics.jsonl (one JSON record a line), TensorBoard's events file (the
// records' numbers as scalars, the conv1 kernels as an image) and kernels.json (the kernels
// chosen for each layer, kernels/tuning.hpp, which a resumed run computes with again). The leader writes; on the other
// ranks of a run under mpirun every call here does nothing.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "train/train_config.hpp"

namespace alexnet {

class EventWriter;
struct Param;

struct RunFiles {
  explicit RunFiles(const std::string& dir)
      : dir(dir), config(dir + "/config.json"), checkpoint(dir + "/checkpoint.safetensors"),
        best(dir + "/best.safetensors"), metrics(dir + "/metrics.jsonl"), kernels(dir + "/kernels.json") {}
  std::string dir, config, checkpoint, best, metrics, kernels;
};

class RunLog {
 public:
  // on_record: a program embedding the run (the Python module) sees every record too.
  RunLog(const std::string& dir, bool leader, std::function<void(const nlohmann::json&)> on_record);
  ~RunLog();
  const RunFiles& files() const { return files_; }

  // A new run: the folder, config.json, and metrics.jsonl opened with the plan's amendments.
  void start(const TrainConfig& cfg);
  // A resumed run: what the killed run logged after its checkpoint (past log_bytes) is dropped;
  // a new events file starts at the checkpoint's step; on every rank, the kernels the run
  // recorded are forced before any layer is set up.
  void resume(uint64_t log_bytes, int64_t global_step);
  void write_config(const TrainConfig& cfg);  // atomically, after the plan changed

  void record(const nlohmann::json& rec);   // metrics.jsonl, its numbers as scalars, the hook
  void plan_change(const nlohmann::json& rec);  // metrics.jsonl and the hook (no scalars)
  void hook_only(const nlohmann::json& rec);  // the hook alone (the steps between --print-every)
  void conv1_image(int64_t global_step, const Param& conv1_weight);
  void flush();  // the events file, before a checkpoint records metrics.jsonl's length
  // flush(), and kernels.json: the kernels chosen so far.
  void before_checkpoint();
  uint64_t metrics_bytes() const;

 private:
  void append(const nlohmann::json& rec);
  void reuse_kernels();
  RunFiles files_;
  bool on_;
  std::function<void(const nlohmann::json&)> on_record_;
  std::unique_ptr<EventWriter> events_;
};

}  // namespace alexnet
