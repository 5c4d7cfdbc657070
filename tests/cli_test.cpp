// The command line end to end: a run killed with SIGKILL and resumed ends bit-identical to an
// uninterrupted one; broken checkpoints, missing and contradictory flags are one-line errors
// with exit code 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "io/safetensors.hpp"
#include "util/atomic_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

struct Result {
  int code;
  std::string out;
};

Result run(const std::string& args) {
  const std::string cmd = std::string(ALEXNET_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// 320 textured 28x28 images in 10 classes, as an IDX directory.
fs::path make_data() {
  const fs::path d = fs::temp_directory_path() / "alexnet_cli_test" / "data";
  fs::create_directories(d);
  const int n = 320;
  std::string img = be32(0x803) + be32(n) + be32(28) + be32(28), lab = be32(0x801) + be32(n);
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < 28 * 28; ++p) img += static_cast<char>(((p % 28) * (i % 10 + 1) + p / 28 * 3 + i) & 0xff);
    lab += static_cast<char>(i % 10);
  }
  for (const char* split : {"train", "t10k"}) {
    write_file_atomic((d / (std::string(split) + "-images-idx3-ubyte")).string(), img);
    write_file_atomic((d / (std::string(split) + "-labels-idx1-ubyte")).string(), lab);
  }
  return d;
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
