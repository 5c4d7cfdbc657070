#include "train/event_file.hpp"

#include <unistd.h>

#include <array>
#include <chrono>
#include <ctime>

#include "tensorboard_event.pb.h"
#include "util/error.hpp"

namespace alexnet {

namespace {

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), one table lookup per byte.
const std::array<uint32_t, 256>& crc_table() {
  static const std::array<uint32_t, 256> t = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  return t;
}

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  const auto& t = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) c = t[(c ^ p[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

EventWriter::EventWriter(const std::string& dir, int64_t first_step) {
  char host[256] = "localhost";
  gethostname(host, sizeof host - 1);
  path_ = dir + "/events.out.tfevents." + std::to_string(static_cast<long long>(std::time(nullptr))) + "." + host;
  if (first_step > 0) path_ += ".resumed-at-" + std::to_string(first_step);
  f_ = std::fopen(path_.c_str(), "wb");
  if (!f_) fail(path_ + ": cannot create the TensorBoard events file");
  tensorboard::Event e;
  e.set_wall_time(wall_time());
  e.set_step(first_step);
  e.set_file_version("brain.Event:2");
  write_record(e.SerializeAsString());
  flush();
}

EventWriter::~EventWriter() {
  if (f_) std::fclose(f_);
}

void EventWriter::write_record(const std::string& bytes) {
  const uint64_t len = bytes.size();  // little-endian, as TFRecord (x86 is)
  const uint32_t len_crc = masked_crc32c(&len, sizeof len), data_crc = masked_crc32c(bytes.data(), bytes.size());
  std::fwrite(&len, sizeof len, 1, f_);
  std::fwrite(&len_crc, sizeof len_crc, 1, f_);
  std::fwrite(bytes.data(), 1, bytes.size(), f_);
  if (std::fwrite(&data_crc, sizeof data_crc, 1, f_) != 1) fail(path_ + ": cannot write (disk full?)");
}

void EventWriter::add_scalar(int64_t step, const std::string& tag, float value) {
  tensorboard::Event e;
  e.set_wall_time(wall_time());
  e.set_step(step);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  v->set_simple_value(value);
  write_record(e.SerializeAsString());
}

void EventWriter::add_scalars(const nlohmann::json& record) {
  const std::string type = record.value("type", "run");
  const int64_t step = record.value("global_step", int64_t{0});
  for (const auto& [key, value] : record.items()) {
    if (!value.is_number() || key == "epoch" || key == "step" || key == "global_step" || key == "processes") continue;
    add_scalar(step, type + "/" + key, value.get<float>());
  }
}

void EventWriter::add_image(int64_t step, const std::string& tag, const std::string& png, int height, int width) {
  tensorboard::Event e;
  e.set_wall_time(wall_time());
  e.set_step(step);
  auto* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  auto* img = v->mutable_image();
  img->set_height(height);
  img->set_width(width);
  img->set_colorspace(3);
  img->set_encoded_image_string(png);
  write_record(e.SerializeAsString());
}

void EventWriter::flush() {
  if (std::fflush(f_) != 0) fail(path_ + ": cannot write (disk full?)");
}

}  // namespace alexnet
