#include "train/schedule.hpp"

#include <cmath>

#include "util/enum_names.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {
constexpr EnumName<ScheduleKind> kScheduleNames[] = {{ScheduleKind::plateau, "plateau"}, {ScheduleKind::step, "step"},
                                                     {ScheduleKind::fixed, "fixed"}, {ScheduleKind::cosine, "cosine"}};
}  // namespace

ScheduleKind schedule_from_name(const std::string& name) { return enum_from_name(kScheduleNames, name, "--schedule"); }
const char* name_of(ScheduleKind kind) { return enum_name(kScheduleNames, kind); }

LrSchedule::LrSchedule(ScheduleConfig c) : c_(std::move(c)), lr_(c_.base_lr), length_(c_.epochs) {
  if (!(c_.base_lr > 0)) fail("--lr must be positive");
  if (c_.kind == ScheduleKind::step && c_.steps.empty()) fail("--schedule step needs --lr-steps");
  if (c_.kind == ScheduleKind::cosine && c_.epochs < 1) fail("--schedule cosine needs --epochs");
}

float LrSchedule::lr_at(int epoch, double frac) const {
  if (c_.kind == ScheduleKind::step) {
    int n = 0;
    for (int s : c_.steps) n += epoch + 1 >= s;
    return c_.base_lr * std::pow(c_.factor, static_cast<float>(n));
  }
  if (c_.kind == ScheduleKind::cosine) {
    const double span = std::max(1, length_ - from_);
    const double t = std::min(1.0, phase0_ + (1 - phase0_) * (epoch + frac - from_) / span);
    return static_cast<float>(c_.min_lr + 0.5 * (c_.base_lr - c_.min_lr) * (1 + std::cos(M_PI * t)));
  }
  return lr_;  // fixed, plateau
}

bool LrSchedule::end_epoch(int, double val_error) {
  if (c_.kind != ScheduleKind::plateau) return false;
  if (val_error < best_ - c_.threshold) {
    best_ = val_error;
    bad_epochs_ = 0;
    return false;
  }
  if (++bad_epochs_ <= c_.patience - 1 || drops_ >= c_.max_drops) return false;
  lr_ *= c_.factor;
  ++drops_;
  bad_epochs_ = 0;
  return true;
}

void LrSchedule::set_length(int epochs, int done) {
  if (c_.kind != ScheduleKind::cosine) return;
  const double span = std::max(1, length_ - from_);
  phase0_ = std::min(1.0, phase0_ + (1 - phase0_) * (done - from_) / span);
  from_ = done;
  length_ = epochs;
}

nlohmann::json LrSchedule::state() const {
  return {{"lr", lr_}, {"best", best_}, {"bad_epochs", bad_epochs_}, {"drops", drops_},
          {"cosine_from", from_}, {"cosine_phase", phase0_}, {"cosine_length", length_}};
}

void LrSchedule::restore(const nlohmann::json& s) {
  lr_ = s.at("lr").get<float>();
  best_ = s.at("best").get<double>();
  bad_epochs_ = s.at("bad_epochs").get<int>();
  drops_ = s.at("drops").get<int>();
  from_ = s.value("cosine_from", 0);  // checkpoints from before re-planning: the plain decay
  phase0_ = s.value("cosine_phase", 0.0);
  length_ = s.value("cosine_length", c_.epochs);
}

}  // namespace alexnet
