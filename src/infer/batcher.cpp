#include "infer/batcher.hpp"

#include <algorithm>
#include <cstring>

#include "kernels/tuning.hpp"
#include "layers/softmax_xent.hpp"
#include "tensor/engine.hpp"

namespace alexnet {

Batcher::Batcher(Network& net, int max_batch, std::chrono::microseconds max_wait)
    : net_(net), max_batch_(std::max(1, max_batch)), max_wait_(max_wait) {
  settle_kernels();
  worker_ = std::thread([this] { run(); });
}

// The kernels are chosen before the first request (kernels/tuning.hpp): the batch sizes 1, 2,
// 4, ... and max_batch are set up now, measured where this machine has no answer yet; the sizes
// between take their nearest one's choice, so no request ever waits for a measurement. Under
// ALEXNET_TUNE=off nothing is measured and nothing is set up ahead.
void Batcher::settle_kernels() {
  if (tune_mode() == TuneMode::off) return;  // the table's kernels: nothing to measure
  std::vector<int> sizes;
  for (int b = 1; b < max_batch_; b *= 2) sizes.push_back(b);
  sizes.push_back(max_batch_);
  for (int b : sizes) {
    const Tensor x = Tensor::plain(net_.input_shape(b));
    std::fill(x.data(), x.data() + x.size(), 0.f);
    net_.forward(x, Mode::eval);
  }
  allow_measuring(false);
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
}

void Batcher::note_in_flight() {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ > std::chrono::seconds(1)) {
    peak_before_ = peak_now_;
    peak_now_ = 0;
    window_start_ = now;
  }
  peak_now_ = std::max(peak_now_, announced_ + static_cast<int>(queue_.size()) + running_);
}

void Batcher::announce() {
  std::lock_guard<std::mutex> lock(mu_);
  ++announced_;
  note_in_flight();
}

void Batcher::withdraw() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    --announced_;
  }
  changed_.notify_all();
}

std::future<InferenceResult> Batcher::submit(std::vector<float> input, const std::string& layer) {
  Job job{std::move(input), layer, {}};
  auto future = job.done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    --announced_;
    queue_.push_back(std::move(job));
    note_in_flight();
  }
  changed_.notify_all();
  return future;
}

BatcherStats Batcher::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

// Waits for work; then, while requests are still being decoded and the batch is not full,
// waits for them up to max_wait. Takes the queued jobs that want the same output as the first.
std::vector<Batcher::Job> Batcher::take_batch() {
  std::unique_lock<std::mutex> lock(mu_);
  changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
  if (queue_.empty()) return {};
  // Wait for requests on their way (announced), and for as many as have recently been in
  // flight at once: with N clients each waiting for its answer, the ones just answered come
  // back within a decode, and one batch of N beats several small ones.
  const int expected = std::min(max_batch_, std::max(peak_now_, peak_before_));
  const auto deadline = std::chrono::steady_clock::now() + max_wait_;
  changed_.wait_until(lock, deadline, [&] {
    const int queued = static_cast<int>(queue_.size());
    return stopping_ || queued >= max_batch_ || (announced_ <= 0 && queued >= expected);
  });
  std::vector<Job> jobs;
  const std::string layer = queue_.front().layer;
  for (auto it = queue_.begin(); it != queue_.end() && static_cast<int>(jobs.size()) < max_batch_;) {
    if (it->layer != layer) {
      ++it;
      continue;
    }
    jobs.push_back(std::move(*it));
    it = queue_.erase(it);
  }
  stats_.batches++;
  stats_.samples += static_cast<int64_t>(jobs.size());
  stats_.largest = std::max(stats_.largest, static_cast<int>(jobs.size()));
  running_ = static_cast<int>(jobs.size());
  return jobs;
}

void Batcher::execute(std::vector<Job>& jobs) {
  const int n = static_cast<int>(jobs.size());
  const std::string& layer = jobs.front().layer;
  if (!layer.empty() && kept_layers_.insert(layer).second) net_.keep_output(layer);
  const size_t per = static_cast<size_t>(numel(net_.input_shape(1)));
  std::vector<float> x(per * n);
  for (int i = 0; i < n; ++i) std::memcpy(x.data() + per * i, jobs[i].input.data(), per * sizeof(float));
  const Tensor& logits = net_.forward(Tensor(plain_md(net_.input_shape(n)), x.data()), Mode::eval);
  std::vector<InferenceResult> results(n);
  if (layer.empty()) {
    const Tensor probs = softmax(logits);
    const size_t k = static_cast<size_t>(net_.classes());
    for (int i = 0; i < n; ++i) {
      results[i].logits.assign(logits.data() + k * i, logits.data() + k * (i + 1));
      results[i].probs.assign(probs.data() + k * i, probs.data() + k * (i + 1));
    }
  } else {
    const Tensor out = net_.output_of(layer);
    const size_t d = static_cast<size_t>(out.size()) / n;
    for (int i = 0; i < n; ++i) results[i].features.assign(out.data() + d * i, out.data() + d * (i + 1));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    running_ = 0;  // before the answers go out: a client answered is no longer in flight
  }
  for (int i = 0; i < n; ++i) jobs[i].done.set_value(std::move(results[i]));
}

void Batcher::run() {
  for (;;) {
    std::vector<Job> jobs = take_batch();
    if (jobs.empty()) return;  // stopping, and nothing left
    const auto t0 = std::chrono::steady_clock::now();
    try {
      execute(jobs);
    } catch (...) {
      for (Job& j : jobs) {
        try {
          j.done.set_exception(std::current_exception());
        } catch (const std::future_error&) {  // this one was answered before the failure
        }
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    running_ = 0;
    stats_.busy_s += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
}

}  // namespace alexnet
