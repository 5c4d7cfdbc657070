// What a training run shows while it goes: one line of progress (epoch, step, loss, top-1,
// lr, images/s, the share of time spent waiting for data, ETA), rewritten in place on a
// terminal and printed every --print-every steps otherwise; and a warning, once, when the loss
// stays at ln(classes), the sign of a network that does not learn.
#pragma once
#include <cstdint>
#include <deque>
#include <string>

namespace alexnet {

double now_s();                   // a monotonic clock, in seconds
std::string fmt_time(double s);   // "4m05s", "1h20m"

struct ProgressLine {
  int64_t epoch = 0, epochs = 0, step = 0, steps_per_epoch = 0;  // epoch and step 1-based
  double loss = 0, top1 = 0, lr = 0, images_per_s = 0, data_wait_share = 0, eta_s = 0;
};

class Progress {
 public:
  Progress(bool on, bool tty, int64_t print_every) : on_(on), tty_(tty), print_every_(print_every) {}
  // force: the last step of an epoch, shown whatever the time since the last line.
  void show(const ProgressLine& p, bool force);
  void end_epoch();  // ends the line rewritten in place
  bool tty() const { return tty_; }

 private:
  bool on_, tty_;
  int64_t print_every_;
  double last_ = 0;
};

class StuckWatch {
 public:
  StuckWatch(int64_t after_steps, int classes) : after_(after_steps), classes_(classes) {}
  // The mean of the last (up to) 50 losses against ln(classes), once `after_steps` steps have
  // run. True the one time it warns.
  bool stuck(double loss, int64_t global_step);
  std::string warning(int64_t global_step) const;

 private:
  int64_t after_;
  int classes_;
  std::deque<double> recent_;
  double mean_ = 0;
  bool warned_ = false;
};

}  // namespace alexnet
