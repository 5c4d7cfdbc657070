// Batches inference requests that arrive together. Requests are decoded on the callers'
// threads (in parallel); one worker thread owns the network and runs each batch: it takes
// what is queued, up to max_batch, waiting up to max_wait for requests that have announced
// themselves but are still being decoded. A lone request therefore never waits, and requests
// under load share one forward pass (batch 8 runs ~2x the images/s of batch 1).
#pragma once
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "model/network.hpp"

namespace alexnet {

struct InferenceResult {
  std::vector<float> logits;    // classification: [classes]
  std::vector<float> probs;     // classification: softmax of the logits
  std::vector<float> features;  // features: the layer's output for this sample
};

struct BatcherStats {
  int64_t batches = 0, samples = 0;
  int largest = 0;
  double busy_s = 0;  // time spent running batches (the rest the worker waited)
};

class Batcher {
 public:
  Batcher(Network& net, int max_batch, std::chrono::microseconds max_wait);
  ~Batcher();  // finishes what is queued, then stops
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // A request is on its way (call before decoding): the worker waits for it a little.
  void announce();
  // ...and then either submitted (input: 3 x C x C) or withdrawn (it failed to decode).
  // layer: empty to classify, else a layer whose output (after its ReLU) is wanted.
  std::future<InferenceResult> submit(std::vector<float> input, const std::string& layer = "");
  void withdraw();
  BatcherStats stats() const;

 private:
  struct Job {
    std::vector<float> input;
    std::string layer;
    std::promise<InferenceResult> done;
  };
  void settle_kernels();
  void run();
  std::vector<Job> take_batch();
  void execute(std::vector<Job>& jobs);

  Network& net_;
  const int max_batch_;
  const std::chrono::microseconds max_wait_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::deque<Job> queue_;
  int announced_ = 0;  // announced, not yet submitted or withdrawn
  int running_ = 0;    // in the batch being computed
  // Requests in flight (announced + queued + running), the most seen in this window and the
  // last: with N clients each waiting for its answer, N. A batch waits for that many.
  int peak_now_ = 0, peak_before_ = 0;
  std::chrono::steady_clock::time_point window_start_ = std::chrono::steady_clock::now();
  void note_in_flight();
  bool stopping_ = false;
  BatcherStats stats_;
  std::set<std::string> kept_layers_;
  std::thread worker_;
};

}  // namespace alexnet
