// Learning-rate schedules (docs/spec.md §3): the paper's "divide by 10 when the validation error stops
// improving" (with patience and a maximum number of drops), steps at given epochs, a fixed lr,
// and a cosine decay. The state is a few numbers that checkpoints save.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace alexnet {

enum class ScheduleKind { plateau, step, fixed, cosine };
ScheduleKind schedule_from_name(const std::string& name);  // a UserError for --schedule otherwise
const char* name_of(ScheduleKind kind);

struct ScheduleConfig {
  ScheduleKind kind = ScheduleKind::plateau;
  float base_lr = 0.01f;
  float factor = 0.1f;
  int patience = 1;     // plateau: epochs without improvement before a drop
  int max_drops = 3;    // plateau: the paper dropped three times
  float threshold = 1e-3f;  // plateau: a smaller improvement of the error is no improvement
  std::vector<int> steps;   // step: the epochs (1-based) at whose start the lr drops
  int epochs = 0;           // cosine: the length of the decay
  float min_lr = 0.f;       // cosine: the floor
};

class LrSchedule {
 public:
  explicit LrSchedule(ScheduleConfig c);
  float lr() const { return lr_; }
  // The lr for epoch `epoch` (0-based) and step within it; cosine decays per step.
  float lr_at(int epoch, double epoch_fraction) const;
  // After each epoch's validation; returns true when the lr dropped.
  bool end_epoch(int epoch, double val_error);
  // A time budget re-planned the run to `epochs` in all, `done` of them trained: a cosine goes on
  // from the lr it has reached and ends at the new last epoch (the other schedules do not count
  // epochs).
  void set_length(int epochs, int done);
  int drops() const { return drops_; }
  nlohmann::json state() const;
  void restore(const nlohmann::json& s);

 private:
  ScheduleConfig c_;
  float lr_;
  double best_ = 1e30;
  int bad_epochs_ = 0, drops_ = 0;
  // cosine: from epoch from_ (at phase phase0_ of the half wave), the decay ends at length_.
  int from_ = 0, length_ = 0;
  double phase0_ = 0;
};

}  // namespace alexnet
