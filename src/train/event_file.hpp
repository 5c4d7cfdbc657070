// TensorBoard's event files, so that `tensorboard --logdir runs` shows a run: losses, top-1
// errors, lr, images/s and the data-wait share as scalars, and the conv1 kernels as an image.
// The format TensorBoard reads: TFRecord framing (length, masked CRC-32C of the length, the
// record, masked CRC-32C of the record) around Event messages, serialised by protobuf.
// Appended to as the run goes (like metrics.jsonl) and flushed at each checkpoint; a resumed
// run starts a new file, and TensorBoard reads every events file in the folder.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace alexnet {

uint32_t crc32c(const void* data, size_t n);
uint32_t masked_crc32c(const void* data, size_t n);  // TFRecord's: rotate right 15, add 0xa282ead8

class EventWriter {
 public:
  // Creates DIR/events.out.tfevents.<seconds>.<host> and writes its file_version record.
  EventWriter(const std::string& dir, int64_t first_step);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  const std::string& path() const { return path_; }
  void add_scalar(int64_t step, const std::string& tag, float value);
  // Every number of a metrics.jsonl record, tagged "<type>/<key>" (train_loss -> epoch/train_loss),
  // at the record's global_step; counters (epoch, step, global_step, processes) are left out.
  void add_scalars(const nlohmann::json& record);
  void add_image(int64_t step, const std::string& tag, const std::string& png, int height, int width);
  void flush();

 private:
  void write_record(const std::string& bytes);
  std::string path_;
  std::FILE* f_ = nullptr;
};

}  // namespace alexnet
