// TensorBoard's events file of a training run, decoded independently of the writer: the
// TFRecord framing (length, masked CRC-32C of the length, data, masked CRC-32C of the data)
// record by record, each record parsed as TensorBoard's Event message by protobuf, and the
// scalars equal to metrics.jsonl's numbers. And --time-budget's plan, kept in config.json.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "train/event_file.hpp"
#include "tensorboard_event.pb.h"
#include "test_util.hpp"
#include "util/atomic_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

test::Result run(const std::string& args) { return test::run_shell(std::string(ALEXNET_BINARY) + " " + args); }

fs::path data_dir() {
  return test::write_idx_dir(test::temp_root() / "alexnet_events_test" / "data", 320, [](int i, int p) {
    return static_cast<uint8_t>(((p % 28) * (i % 10 + 1) + p / 28 * 5 + i) & 0xff);
  });
}

const std::string kTrain = " train --arch alexnet-mini --batch 32 --threads 2 --print-every 3 --val-limit 64 ";

// TensorBoard's own masking, from its reader: rotate right by 15, add 0xa282ead8.
uint32_t mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

std::vector<tensorboard::Event> read_events(const fs::path& file) {
  const std::string bytes = read_file(file.string());
  std::vector<tensorboard::Event> events;
  size_t p = 0;
  while (p < bytes.size()) {
    EXPECT_LE(p + 12, bytes.size()) << "truncated header at byte " << p;
    uint64_t len;
    uint32_t len_crc, data_crc;
    std::memcpy(&len, bytes.data() + p, 8);
    std::memcpy(&len_crc, bytes.data() + p + 8, 4);
    EXPECT_EQ(len_crc, mask(crc32c(bytes.data() + p, 8))) << "length CRC of the record at byte " << p;
    EXPECT_LE(p + 12 + len + 4, bytes.size()) << "truncated record at byte " << p;
    const std::string data = bytes.substr(p + 12, len);
    std::memcpy(&data_crc, bytes.data() + p + 12 + len, 4);
    EXPECT_EQ(data_crc, mask(crc32c(data.data(), data.size()))) << "data CRC of the record at byte " << p;
    tensorboard::Event e;
    EXPECT_TRUE(e.ParseFromString(data)) << "record at byte " << p << " is no Event";
    events.push_back(e);
    p += 12 + len + 4;
  }
  return events;
}

TEST(Events, Crc32cIsCastagnolis) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the standard check value of CRC-32C
  EXPECT_EQ(crc32c("", 0), 0u);
  EXPECT_EQ(masked_crc32c("123456789", 9), mask(0xE3069283u));
}

TEST(Events, TrainingWritesTensorBoardScalarsAndTheFilterImage) {
  const fs::path out = test::temp_root() / "alexnet_events_test" / "run";
  fs::remove_all(out);
  test::Result r = run(kTrain + "--epochs 2 --data " + data_dir().string() + " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.out;
  fs::path file;
  for (const auto& e : fs::directory_iterator(out))
    if (e.path().filename().string().rfind("events.out.tfevents.", 0) == 0) file = e.path();
  ASSERT_FALSE(file.empty()) << "no events file in " << out;
  const auto events = read_events(file);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].file_version(), "brain.Event:2");
  std::map<std::pair<std::string, int64_t>, float> scalars;
  int images = 0;
  for (const auto& e : events) {
    EXPECT_GT(e.wall_time(), 1.6e9);
    for (const auto& v : e.summary().value()) {
      if (v.has_image()) {
        ++images;
        EXPECT_EQ(v.tag(), "conv1_filters");
        EXPECT_EQ(v.image().encoded_image_string().substr(1, 3), "PNG");
        EXPECT_GT(v.image().height(), 0);
        EXPECT_EQ(v.image().colorspace(), 3);
      } else {
        scalars[{v.tag(), e.step()}] = v.simple_value();
      }
    }
  }
  EXPECT_EQ(images, 2);  // one per epoch
  // Every number of metrics.jsonl is there, at its global step.
  std::istringstream log(read_file((out / "metrics.jsonl").string()));
  int checked = 0;
  for (std::string line; std::getline(log, line);) {
    const json rec = json::parse(line);
    const std::string type = rec["type"];
    for (const char* key : {"loss", "lr", "train_loss", "val_top1_error", "val_top5_error", "images_per_s",
                            "data_wait_share"}) {
      if (!rec.contains(key)) continue;
      const auto it = scalars.find({type + "/" + key, rec["global_step"].get<int64_t>()});
      ASSERT_NE(it, scalars.end()) << type << "/" << key << " at step " << rec["global_step"];
      EXPECT_FLOAT_EQ(it->second, rec[key].get<float>()) << type << "/" << key;
      ++checked;
    }
  }
  EXPECT_GE(checked, 12);
}

TEST(Events, TimeBudgetPlansTheEpochsAndAResumeKeepsThem) {
  const fs::path data = data_dir();
  const fs::path a = test::temp_root() / "alexnet_events_test" / "budget_small";
  const fs::path b = test::temp_root() / "alexnet_events_test" / "budget_large";
  fs::remove_all(a), fs::remove_all(b);
  // 1 second cannot hold 50 epochs (at least one is always trained); an hour holds the 2 asked for.
  test::Result small = run(kTrain + "--epochs 50 --time-budget 1s --data " + data.string() + " --out " + a.string());
  ASSERT_EQ(small.code, 0) << small.out;
  EXPECT_NE(small.out.find("epochs planned"), std::string::npos) << small.out;
  const json ca = json::parse(read_file((a / "config.json").string()));
  EXPECT_GE(ca["planned_epochs"].get<int>(), 1);
  EXPECT_LT(ca["planned_epochs"].get<int>(), 50);
  EXPECT_EQ(ca["max_epochs"], 50);
  EXPECT_GE(ca["epochs"].get<int>(), 1);  // the first plan, or what the epochs timed re-planned
  EXPECT_LT(ca["epochs"].get<int>(), 50);
  test::Result large = run(kTrain + "--epochs 2 --time-budget 1h --data " + data.string() + " --out " + b.string());
  ASSERT_EQ(large.code, 0) << large.out;
  EXPECT_EQ(json::parse(read_file((b / "config.json").string()))["planned_epochs"], 2);
  EXPECT_EQ(run(" train --resume " + b.string() + " --time-budget 5m").code, 2);  // the plan is the run's
  EXPECT_NE(run("train --arch alexnet-mini --time-budget soon --data x --out y").out.find("--time-budget"),
            std::string::npos);
}

}  // namespace
}  // namespace alexnet
