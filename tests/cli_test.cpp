// The command line end to end: a run killed with SIGKILL and resumed ends bit-identical to an
// uninterrupted one; broken checkpoints, missing and contradictory flags are one-line errors
// with exit code 2.
#include <gtest/gtest.h>
#include <filesystem>

#include "io/safetensors.hpp"
#include "test_util.hpp"
#include "util/atomic_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

using test::Result;

Result run(const std::string& args) { return test::run_shell(std::string(ALEXNET_BINARY) + " " + args); }

// 320 textured 28x28 images in 10 classes, as an IDX directory.
fs::path make_data() {
  return test::write_idx_dir(fs::temp_directory_path() / "alexnet_cli_test" / "data", 320, [](int i, int p) {
    return static_cast<uint8_t>(((p % 28) * (i % 10 + 1) + p / 28 * 3 + i) & 0xff);
  });
}

fs::path fresh(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / "alexnet_cli_test" / name;
  fs::remove_all(p);
  return p;
}

const std::string kTrain = " train --arch alexnet-mini --batch 32 --threads 2 --print-every 0 --val-limit 64 ";

TEST(Cli, KilledRunResumesBitIdentical) {
  const fs::path data = make_data();
  const fs::path a = fresh("uninterrupted"), b = fresh("killed");
  Result full = run(kTrain + "--epochs 2 --data " + data.string() + " --out " + a.string());
  ASSERT_EQ(full.code, 0) << full.out;
  // 10 steps per epoch; checkpoints every 3 steps; killed at step 14, mid-epoch 2, so the
  // resumed run restarts from the checkpoint of step 12 and redoes steps 13 and 14.
  Result killed = run(kTrain + "--epochs 2 --data " + data.string() + " --out " + b.string() +
                   " --checkpoint-every 3 --kill-after-steps 14");
  ASSERT_EQ(killed.code, 128 + SIGKILL) << killed.out;
  Result resumed = run(" train --resume " + b.string());
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos);
  const SafetensorsFile x = read_safetensors((a / "checkpoint.safetensors").string());
  const SafetensorsFile y = read_safetensors((b / "checkpoint.safetensors").string());
  ASSERT_EQ(x.tensors.size(), y.tensors.size());
  for (const auto& [name, t] : x.tensors) {
    ASSERT_EQ(y.tensors.count(name), 1u) << name;
    EXPECT_TRUE(t.data == y.tensors.at(name).data) << name << " differs after resuming";
  }
  // The metrics log has each epoch once.
  const std::string log = read_file((b / "metrics.jsonl").string());
  size_t epochs = 0;
  for (size_t p = log.find("\"type\":\"epoch\""); p != std::string::npos; p = log.find("\"type\":\"epoch\"", p + 1)) ++epochs;
  EXPECT_EQ(epochs, 2u);
  // ... with the same validation results as the uninterrupted run.
  auto val_errors = [](const std::string& text) {
    std::vector<std::string> v;
    for (size_t p = text.find("\"val_top1_error\":"); p != std::string::npos;
         p = text.find("\"val_top1_error\":", p + 1))
      v.push_back(text.substr(p, text.find_first_of(",}", p) - p));
    return v;
  };
  EXPECT_EQ(val_errors(log), val_errors(read_file((a / "metrics.jsonl").string())));
}

TEST(Cli, BrokenCheckpointsAreClearErrors) {
  const fs::path data = make_data();
  const fs::path r = fresh("broken");
  ASSERT_EQ(run(kTrain + "--epochs 1 --data " + data.string() + " --out " + r.string()).code, 0);
  const std::string ck = (r / "checkpoint.safetensors").string();
  const std::string bytes = read_file(ck);
  write_file_atomic(ck, bytes.substr(0, bytes.size() / 2));  // truncated
  Result t = run(" train --resume " + r.string());
  EXPECT_EQ(t.code, 2) << t.out;
  EXPECT_NE(t.out.find("checkpoint.safetensors"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("outside"), std::string::npos) << t.out;
  std::string corrupt = bytes;
  corrupt[8] = '@';  // the header's opening brace: no longer JSON
  write_file_atomic(ck, corrupt);
  Result c = run(" train --resume " + r.string());
  EXPECT_EQ(c.code, 2) << c.out;
  EXPECT_NE(c.out.find("not valid JSON"), std::string::npos) << c.out;
  // Resuming a run leaves its files alone on error: the best weights still load.
  Result e = run(" eval --weights " + (r / "best.safetensors").string() + " --data " + data.string() + " --json --limit 32");
  EXPECT_EQ(e.code, 0) << e.out;
}

TEST(Cli, MissingAndContradictoryFlags) {
  Result a = run(" train --out /tmp/x");
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.out.find("--data"), std::string::npos) << a.out;
  Result b = run(" train --resume /tmp/x --data /tmp/y");
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.out.find("contradicts --resume"), std::string::npos) << b.out;
  Result c = run(" train --data /nonexistent --out /tmp/alexnet_cli_test/none");
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.out.find("/nonexistent"), std::string::npos) << c.out;
  Result d = run(" bench --arch alexnet-huge");
  EXPECT_EQ(d.code, 2);
  EXPECT_NE(d.out.find("alexnet-huge"), std::string::npos) << d.out;
  Result e = run(" predict --weights /nonexistent.safetensors x.npy");
  EXPECT_EQ(e.code, 2);
  EXPECT_NE(e.out.find("/nonexistent.safetensors"), std::string::npos) << e.out;
  Result f = run(" train --data /tmp --out /tmp/alexnet_cli_test/s --schedule step");
  EXPECT_EQ(f.code, 2);
  EXPECT_NE(f.out.find("--lr-steps"), std::string::npos) << f.out;
  for (const Result& r : {a, b, c, d, e, f}) {
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << r.out;
  }
}

}  // namespace
}  // namespace alexnet
