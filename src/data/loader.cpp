#include "data/loader.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace alexnet {

Loader::Loader(const Dataset& data, TransformConfig tf, LoaderConfig cfg)
    : data_(data), tf_(std::move(tf)), cfg_(cfg) {
  if (cfg_.batch < 1) fail("--batch must be at least 1");
  if (cfg_.workers < 1) fail("--workers must be at least 1");
  if (tf_.crop > tf_.resize) fail("crop " + std::to_string(tf_.crop) + " is larger than the image side " + std::to_string(tf_.resize));
}

Loader::~Loader() { stop(); }

int64_t Loader::batches_per_epoch() const {
  const int64_t n = data_.size();
  return cfg_.drop_last ? n / cfg_.batch : (n + cfg_.batch - 1) / cfg_.batch;
}

std::vector<int64_t> Loader::epoch_order(int64_t epoch) const {
  std::vector<int64_t> order(data_.size());
  for (int64_t i = 0; i < data_.size(); ++i) order[i] = i;
  if (cfg_.train) {  // Fisher-Yates from (seed, epoch)
    Rng rng(hash3(cfg_.seed, static_cast<uint64_t>(epoch), 0x5EED0));
    for (int64_t i = data_.size() - 1; i > 0; --i)
      std::swap(order[i], order[rng.next() % static_cast<uint64_t>(i + 1)]);
  }
  return order;
}

void Loader::start_epoch(int64_t epoch, int64_t first) {
  stop();
  epoch_ = epoch;
  order_ = epoch_order(epoch);
  first_ = next_claim_ = next_out_ = first;
  end_ = batches_per_epoch();
  stopping_ = false;
  done_.clear();
  for (int i = 0; i < cfg_.workers; ++i) threads_.emplace_back([this] { work(); });
}

void Loader::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  space_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void Loader::work() {
  for (;;) {
    int64_t number;
    {
      std::unique_lock<std::mutex> lock(mu_);
      space_.wait(lock, [&] { return stopping_ || next_claim_ >= end_ || next_claim_ < next_out_ + cfg_.queue; });
      if (stopping_ || next_claim_ >= end_) return;
      number = next_claim_++;
    }
    Batch b;
    try {
      b = make(number);
    } catch (...) {  // an exception leaving this thread would end the process: the consumer gets it
      b = Batch{};
      b.number = number;
      b.error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_[number] = std::move(b);
    }
    ready_.notify_all();
  }
}

void Loader::transform_sample(const Image& img, const TransformConfig& tf, bool train,
                              bool ten_crop, Rng& rng, float* out) {
  const size_t plane = static_cast<size_t>(3) * tf.crop * tf.crop;
  if (train) {
    const Crop k = random_crop(tf.resize, tf.crop, tf.flip, rng);
    crop_to_tensor(img, k, tf, pca_offset(tf.pca, tf.pca_std, rng), out);
  } else if (ten_crop) {
    const auto crops = ten_crops(tf.resize, tf.crop);
    for (int v = 0; v < 10; ++v) crop_to_tensor(img, crops[v], tf, {0, 0, 0}, out + v * plane);
  } else {
    crop_to_tensor(img, center_crop(tf.resize, tf.crop), tf, {0, 0, 0}, out);
  }
}

Batch Loader::make(int64_t number) {
  Batch b;
  b.number = number;
  b.views = (!cfg_.train && cfg_.ten_crop) ? 10 : 1;
  const int64_t global_begin = number * cfg_.batch;
  const int64_t global_end = std::min<int64_t>(global_begin + cfg_.batch, data_.size());
  const int64_t len = global_end - global_begin;
  const int64_t begin = global_begin + len * cfg_.shard / cfg_.shards;
  const int64_t end = global_begin + len * (cfg_.shard + 1) / cfg_.shards;
  b.first_row = begin - global_begin;
  const size_t per = static_cast<size_t>(b.views) * 3 * tf_.crop * tf_.crop;
  b.images.resize(per * (end - begin));
  int n = 0;
  for (int64_t p = begin; p < end; ++p) {
    const int64_t idx = order_[p];
    Image img;
    try {
      img = resize_shorter_center(data_.read(idx), tf_.resize);
    } catch (const DecodeError& e) {
      b.failed.push_back(e.what());
      continue;  // skipped: the batch is one sample shorter
    }
    Rng rng(hash3(cfg_.seed, static_cast<uint64_t>(epoch_), static_cast<uint64_t>(idx)));
    transform_sample(img, tf_, cfg_.train, cfg_.ten_crop, rng, b.images.data() + per * n);
    b.labels.push_back(data_.label(idx));
    b.indices.push_back(idx);
    ++n;
  }
  b.images.resize(per * n);
  return b;
}

bool Loader::next(Batch& out) {
  std::unique_lock<std::mutex> lock(mu_);
  if (next_out_ >= end_) return false;
  ready_.wait(lock, [&] { return done_.count(next_out_) > 0; });
  out = std::move(done_[next_out_]);
  done_.erase(next_out_);
  ++next_out_;
  lock.unlock();
  space_.notify_all();
  if (out.error) std::rethrow_exception(out.error);
  if (cfg_.strict && !out.failed.empty()) fail(out.failed.front() + " (--strict)");
  return true;
}

}  // namespace alexnet
