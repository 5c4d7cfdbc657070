#include "train/progress.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace alexnet {

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

void Progress::show(const ProgressLine& p, bool force) {
  if (!on_) return;
  const bool every = print_every_ > 0 && p.step % print_every_ == 0;
  if (!(tty_ ? (now_s() - last_ > 0.25 || force) : every)) return;
  last_ = now_s();
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %lld/%lld step %lld/%lld loss %.4f top-1 %.2f%% lr %.3g %.0f img/s data-wait %.0f%% ETA %s",
                static_cast<long long>(p.epoch), static_cast<long long>(p.epochs), static_cast<long long>(p.step),
                static_cast<long long>(p.steps_per_epoch), p.loss, 100 * p.top1, p.lr, p.images_per_s,
                100 * p.data_wait_share, fmt_time(p.eta_s).c_str());
  if (tty_) std::printf("\r%s\033[K", line);
  else std::printf("%s\n", line);
  std::fflush(stdout);
}

void Progress::end_epoch() {
  if (on_ && tty_) std::printf("\n");
}

bool StuckWatch::stuck(double loss, int64_t global_step) {
  const size_t window = static_cast<size_t>(std::clamp<int64_t>(after_, 1, 50));
  recent_.push_back(loss);
  if (recent_.size() > window) recent_.pop_front();
  if (warned_ || after_ <= 0 || global_step < after_ || recent_.size() != window) return false;
  mean_ = 0;
  for (double v : recent_) mean_ += v / static_cast<double>(window);
  if (mean_ <= 0.97 * std::log(static_cast<double>(classes_))) return false;
  return warned_ = true;
}

std::string StuckWatch::warning(int64_t global_step) const {
  char b[400];
  std::snprintf(b, sizeof b,
                "warning: after %lld steps the loss is still %.3f, about ln(%d) = %.3f: the network is not "
                "learning. Likely causes: the init (try --init kaiming; the paper's N(0, 0.01) is known to "
                "stall) or the lr (--lr).",
                static_cast<long long>(global_step), mean_, classes_, std::log(static_cast<double>(classes_)));
  return b;
}

}  // namespace alexnet
