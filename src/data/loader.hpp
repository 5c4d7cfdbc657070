// The loader: worker threads decode and transform ahead of the compute into ready batches,
// at most `queue` batches ahead (bounded memory). Each epoch's order is drawn from
// (seed, epoch) and each sample's crop, flip and colour noise from (seed, epoch, index), so
// the batches are the same whatever the number of workers, and a run resumed at (epoch, step)
// continues with exactly the batches it would have had.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "data/dataset.hpp"
#include "data/transform.hpp"

namespace alexnet {

struct LoaderConfig {
  int batch = 128;
  int workers = 1;
  int queue = 4;
  bool train = true;      // shuffle + random crops/flips/colour noise; else the test path
  bool ten_crop = false;  // test path: 10 views per sample instead of the centre crop
  bool drop_last = true;  // training drops the last partial batch (every step is a full batch)
  bool strict = false;    // a file that does not decode stops the run
  uint64_t seed = 0;
  // Data parallelism: this process takes part `shard` of `shards` of every global batch.
  int shard = 0, shards = 1;
};

struct Batch {
  int64_t number = 0;
  int views = 1;                 // images per sample (10 with ten_crop)
  std::vector<float> images;     // [samples * views, 3, C, C], plain
  std::vector<int32_t> labels;   // per sample
  std::vector<int64_t> indices;  // data set indices of the samples
  std::vector<std::string> failed;  // files that did not decode (skipped)
  int64_t first_row = 0;         // the position of this shard's first sample in the global batch
  std::exception_ptr error;      // what making it threw on a worker (out of memory): next() rethrows it
  int samples() const { return static_cast<int>(labels.size()); }
};

class Loader {
 public:
  Loader(const Dataset& data, TransformConfig tf, LoaderConfig cfg);
  ~Loader();
  int64_t batches_per_epoch() const;
  // Starts producing the batches of `epoch`, from batch `first` on (for resuming).
  void start_epoch(int64_t epoch, int64_t first = 0);
  // The next batch in order; false at the end of the epoch. Throws UserError in strict mode
  // when a file does not decode.
  bool next(Batch& out);
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  const TransformConfig& transform() const { return tf_; }

  // One sample through the pipeline (used by predict and the tests).
  static void transform_sample(const Image& s_by_s, const TransformConfig& tf, bool train,
                               bool ten_crop, Rng& rng, float* out);

 private:
  void stop();
  void work();
  Batch make(int64_t number);

  const Dataset& data_;
  TransformConfig tf_;
  LoaderConfig cfg_;
  int64_t epoch_ = 0, first_ = 0, end_ = 0;
  std::vector<int64_t> order_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::map<int64_t, Batch> done_;
  int64_t next_claim_ = 0, next_out_ = 0;
  bool stopping_ = false;
};

}  // namespace alexnet
