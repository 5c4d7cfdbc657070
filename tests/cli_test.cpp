// The command line end to end: a run killed with SIGKILL and resumed ends bit-identical to an
// uninterrupted one; broken checkpoints, missing and contradictory flags are one-line errors
// with exit code 2.
#include <gtest/gtest.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "formats/safetensors.hpp"
#include "test_util.hpp"
#include "util/atomic_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

using test::Result;

Result run(const std::string& args) { return test::run_shell(std::string(ALEXNET_BINARY) + " " + args); }

// 320 textured 28x28 images in 10 classes, as an IDX directory.
fs::path make_data() {
  return test::write_textured_idx(test::temp_root() / "alexnet_cli_test" / "data");
}

fs::path fresh(const std::string& name) {
  const fs::path p = test::temp_root() / "alexnet_cli_test" / name;
  fs::remove_all(p);
  return p;
}

const std::string kTrain = " train --arch alexnet-mini --batch 32 --threads 2 --print-every 0 --val-limit 64 ";

// Bit for bit: every parameter and momentum of two runs' last checkpoints.
void expect_same_checkpoint(const fs::path& a, const fs::path& b) {
  const SafetensorsFile x = read_safetensors((a / "checkpoint.safetensors").string());
  const SafetensorsFile y = read_safetensors((b / "checkpoint.safetensors").string());
  ASSERT_EQ(x.tensors.size(), y.tensors.size());
  for (const auto& [name, t] : x.tensors) {
    ASSERT_EQ(y.tensors.count(name), 1u) << name;
    EXPECT_TRUE(t.data == y.tensors.at(name).data) << name << " differs after resuming";
  }
}

// A time budget re-planned after each epoch (the pace simulated, so that the test does not
// depend on this machine's clock): 60 s, epochs of 20 s, 5 epochs planned at first by the
// fast machine, so after epoch 1 the plan shortens to 1 + floor(0.95 * 40 / 20) = 2 epochs; the
// cosine ends there. Killed in epoch 2, after the re-plan, the resumed run replays it and ends
// bit-identical to the uninterrupted one.
TEST(Cli, TimeBudgetReplansAfterEachEpochAndResumesTheSamePlan) {
  const fs::path data = make_data();
  const fs::path a = fresh("replan_full"), b = fresh("replan_killed");
  const std::string args = kTrain + "--epochs 5 --time-budget 60s --simulate-epoch-seconds 20 --data " + data.string();
  Result full = run(args + " --out " + a.string());
  ASSERT_EQ(full.code, 0) << full.out;
  EXPECT_NE(full.out.find("after epoch 1 an epoch takes 0m20s, 0m40s are left: 2 epochs in all, not 5"), std::string::npos)
      << full.out;
  const json config = json::parse(read_file((a / "config.json").string()));
  EXPECT_EQ(config["epochs"], 2);
  EXPECT_EQ(config["planned_epochs"], 5);
  EXPECT_EQ(config["amendments"].back()["change"]["epochs"], 2);
  size_t plans = 0, epochs = 0;
  double last_lr = 1;
  for (const std::string& line : lines_of(read_file((a / "metrics.jsonl").string()))) {
    const json r = json::parse(line);
    if (r["type"] == "plan" && r.contains("after_epoch")) {
      ++plans;
      EXPECT_EQ(r["change"]["epochs"], 2);
    }
    if (r["type"] == "epoch") ++epochs, last_lr = r["lr"];
  }
  EXPECT_EQ(plans, 1u);
  EXPECT_EQ(epochs, 2u);
  EXPECT_LT(last_lr, 1e-4);  // the shortened cosine still ends near zero
  Result killed = run(args + " --out " + b.string() + " --checkpoint-every 3 --kill-after-steps 14");
  ASSERT_EQ(killed.code, 128 + SIGKILL) << killed.out;
  Result resumed = run(" train --resume " + b.string());
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_EQ(resumed.out.find("epochs in all"), std::string::npos) << "the plan was replayed, not made again";
  expect_same_checkpoint(a, b);
}

// A run of 2 epochs, and the same killed mid-epoch 2 and resumed: (uninterrupted, resumed).
std::pair<fs::path, fs::path> killed_and_resumed(const std::string& tag, const std::string& flags) {
  const fs::path data = make_data();
  const fs::path a = fresh("uninterrupted" + tag), b = fresh("killed" + tag);
  Result full = run(kTrain + "--epochs 2 --data " + data.string() + " --out " + a.string() + flags);
  EXPECT_EQ(full.code, 0) << full.out;
  // 10 steps per epoch; checkpoints every 3 steps; killed at step 14, mid-epoch 2, so the
  // resumed run restarts from the checkpoint of step 12 and redoes steps 13 and 14.
  Result killed = run(kTrain + "--epochs 2 --data " + data.string() + " --out " + b.string() + flags +
                      " --checkpoint-every 3 --kill-after-steps 14");
  EXPECT_EQ(killed.code, 128 + SIGKILL) << killed.out;
  Result resumed = run(" train --resume " + b.string());
  EXPECT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos);
  expect_same_checkpoint(a, b);
  return {a, b};
}

// A run records the kernels it computes with (kernels.json, kernels/tuning.hpp), and a resumed
// run computes with them whatever this machine would choose: trained with measured choices,
// killed, and resumed with tuning off (the table's choices), it ends bit for bit where the
// uninterrupted measured run does; and a record edited to other kernels is what the resumed
// run computes with.
TEST(Cli, ResumedRunComputesWithTheKernelsItRecorded) {
  const fs::path data = make_data(), cache = fresh("kernel_cache");
  const fs::path a = fresh("tuned_full"), b = fresh("tuned_killed"), c = fresh("tuned_edited");
  const std::string tuned = "ALEXNET_TUNE=on XDG_CACHE_HOME=" + cache.string() + " ";
  const std::string args = kTrain + "--epochs 2 --data " + data.string();
  auto run_with = [](const std::string& env, const std::string& a) {
    return test::run_shell(env + ALEXNET_BINARY + " " + a);
  };
  ASSERT_EQ(run_with(tuned, args + " --out " + a.string()).code, 0);
  const std::string kill = " --checkpoint-every 3 --kill-after-steps 14";
  for (const fs::path& run : {b, c}) {
    ASSERT_EQ(run_with(tuned, args + " --out " + run.string() + kill).code, 128 + SIGKILL);
    ASSERT_TRUE(fs::exists(run / "kernels.json"));
  }
  const Result resumed = run_with("ALEXNET_TUNE=off ", "train --resume " + b.string());
  ASSERT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_EQ(resumed.out.find("warning"), std::string::npos) << resumed.out;
  expect_same_checkpoint(a, b);
  // Every 3x3 forward flipped between our Winograd and oneDNN's kernel (both compute them).
  json record = json::parse(read_file((c / "kernels.json").string()));
  int flipped = 0;
  for (auto& [key, kernel] : record["choices"].items())
    if (key.find(" k3 ") != std::string::npos && key.find(" forward @ ") != std::string::npos)
      kernel = kernel == "winograd" ? "onednn" : "winograd", ++flipped;
  ASSERT_GT(flipped, 0);
  write_file_atomic((c / "kernels.json").string(), record.dump());
  const Result edited = run_with("ALEXNET_TUNE=off ", "train --resume " + c.string());
  ASSERT_EQ(edited.code, 0) << edited.out;
  EXPECT_EQ(edited.out.find("warning"), std::string::npos) << edited.out;
  const json after = json::parse(read_file((c / "kernels.json").string()));
  for (const auto& [key, kernel] : record["choices"].items()) EXPECT_EQ(after["choices"][key], kernel) << key;
}

// The moving average of the weights is part of the checkpoint: resumed, it continues bit for
// bit; it is what is evaluated and kept as the best weights, the weights SGD holds evaluated too.
TEST(Cli, KilledRunWithAveragedWeightsAndSmoothedLabelsResumesBitIdentical) {
  const auto [a, b] = killed_and_resumed("_ema", " --ema 0.9 --label-smoothing 0.1");
  const SafetensorsFile ck = read_safetensors((b / "checkpoint.safetensors").string());
  const SafetensorsFile best = read_safetensors((b / "best.safetensors").string());
  ASSERT_EQ(ck.tensors.count("average/fc8.weight"), 1u);
  EXPECT_EQ(best.tensors.count("average/fc8.weight"), 0u);
  const auto& sgd_w = ck.tensors.at("fc8.weight").data;
  const auto& avg_w = ck.tensors.at("average/fc8.weight").data;
  EXPECT_FALSE(sgd_w == avg_w);
  const std::string log = read_file((b / "metrics.jsonl").string());
  EXPECT_NE(log.find("\"val_top1_error_sgd_weights\":"), std::string::npos) << log;
  const json config = json::parse(read_file((b / "config.json").string()));
  EXPECT_NEAR(config["ema"].get<double>(), 0.9, 1e-6);
  EXPECT_NEAR(config["label_smoothing"].get<double>(), 0.1, 1e-6);
  // When epoch 2 was the better, the best weights are its average, not SGD's weights.
  std::vector<double> val;
  for (const std::string& line : lines_of(log)) {
    if (const json r = json::parse(line); r["type"] == "epoch") val.push_back(r["val_top1_error"]);
  }
  ASSERT_EQ(val.size(), 2u);
  if (val[1] < val[0]) {
    EXPECT_TRUE(best.tensors.at("fc8.weight").data == avg_w);
  }
}

TEST(Cli, KilledRunResumesBitIdentical) {
  const auto [a, b] = killed_and_resumed("", "");
  if (HasFailure()) return;
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

TEST(Cli, DivergedRunStopsWithAClearMessageAndKeepsTheLastCheckpoint) {
  const fs::path data = make_data(), r = fresh("nan");
  Result x = run(kTrain + "--epochs 2 --lr 1e9 --schedule fixed --data " + data.string() + " --out " + r.string());
  EXPECT_EQ(x.code, 1) << x.out;
  EXPECT_TRUE(x.out.find("NaN") != std::string::npos || x.out.find("infinite") != std::string::npos) << x.out;
  EXPECT_NE(x.out.find("lower --lr"), std::string::npos) << x.out;
}

TEST(Cli, ALossStuckAtLnClassesIsWarnedAbout) {
  // The paper's init with a tiny lr cannot move the loss within 40 steps.
  const fs::path data = make_data(), r = fresh("stuck");
  Result x = run(kTrain + "--epochs 4 --init paper --lr 1e-6 --schedule fixed --stuck-steps 36 --data " + data.string() +
                 " --out " + r.string());
  EXPECT_EQ(x.code, 0) << x.out;
  EXPECT_NE(x.out.find("not learning"), std::string::npos) << x.out;
  EXPECT_NE(x.out.find("--init kaiming"), std::string::npos) << x.out;
}

TEST(Cli, EvalPredictPicturesAndFeatures) {
  const fs::path data = make_data(), r = fresh("use");
  ASSERT_EQ(run(kTrain + "--epochs 1 --data " + data.string() + " --out " + r.string()).code, 0);
  const std::string w = (r / "best.safetensors").string();
  // IDX to PNG files, then predict on them with class names from the weights.
  Result p = run(" prepare " + data.string() + " " + (r / "png").string() + " --split test --limit 4");
  ASSERT_EQ(p.code, 0) << p.out;
  const std::string img = (r / "png" / "3" / "3.png").string();
  ASSERT_TRUE(fs::exists(img)) << p.out;
  Result pj = run(" predict --weights " + w + " --json --topk 3 " + img);
  ASSERT_EQ(pj.code, 0) << pj.out;
  EXPECT_NE(pj.out.find("\"input\":\"" + img + "\""), std::string::npos) << pj.out;
  EXPECT_EQ(std::count(pj.out.begin(), pj.out.end(), '{'), 4) << pj.out;  // the line and its 3 classes
  // .npy: a wrong shape is a clear error.
  write_file_atomic((r / "bad.npy").string(), std::string("\x93NUMPY\x01\x00\x46\x00", 10) +
                    "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32, 32), }" + std::string(5, ' ') + "\n" +
                    std::string(3 * 32 * 32 * 4, '\0'));
  Result bad = run(" predict --weights " + w + " " + (r / "bad.npy").string());
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("does not fit alexnet-mini"), std::string::npos) << bad.out;
  // Pictures and features.
  EXPECT_EQ(run(" plot " + r.string()).code, 0);
  EXPECT_TRUE(fs::file_size(r / "curves.png") > 1000);
  EXPECT_EQ(run(" filters --weights " + w + " --out " + (r / "f.png").string()).code, 0);
  EXPECT_TRUE(fs::file_size(r / "f.png") > 1000);
  Result f = run(" features --weights " + w + " --layer fc7 --data " + data.string() + " --limit 20 --out " +
                 (r / "f.npy").string());
  ASSERT_EQ(f.code, 0) << f.out;
  EXPECT_NE(f.out.find("20 x 512"), std::string::npos) << f.out;
  Result s = run(" similar --weights " + w + " --query " + img + " --data " + data.string() + " --limit 40 --topk 3 --png " +
                 (r / "s.png").string());
  ASSERT_EQ(s.code, 0) << s.out;
  // The query itself is in the collection (test sample 3): its own nearest, at distance 0.
  EXPECT_NE(s.out.find("0.0000  " + data.string() + "#3"), std::string::npos) << s.out;
  EXPECT_TRUE(fs::file_size(r / "s.png") > 1000);
  Result e = run(" eval --weights " + w + " --data " + data.string() + " --ten-crop --limit 50");
  ASSERT_EQ(e.code, 0) << e.out;
  EXPECT_NE(e.out.find("confusion matrix"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("10 crops"), std::string::npos) << e.out;
}

// `eval --held-out RUN` measures on the very images the run validated on: the best weights of
// a one-epoch run give the error its metrics log recorded for that epoch, on as many samples as
// it said it held out.
TEST(Cli, EvalOnARunsHeldOutImagesReproducesItsValidation) {
  const fs::path data = make_data(), r = fresh("held");
  Result t = run(kTrain + "--epochs 1 --data " + data.string() + " --out " + r.string());
  ASSERT_EQ(t.code, 0) << t.out;
  const size_t at = t.out.find("validation: ");
  ASSERT_NE(at, std::string::npos) << t.out;
  const int held = std::stoi(t.out.substr(at + 12));
  EXPECT_GT(held, 20);
  const std::string w = (r / "best.safetensors").string();
  Result e = run(" eval --weights " + w + " --held-out " + r.string() + " --json");
  ASSERT_EQ(e.code, 0) << e.out;
  const json got = json::parse(e.out);
  EXPECT_EQ(got["samples"], held);
  double logged = -1;
  for (const std::string& line : lines_of(read_file((r / "metrics.jsonl").string()))) {
    const json j = json::parse(line);
    if (j.value("type", "") == "epoch") logged = j["val_top1_error"];
  }
  EXPECT_NEAR(got["top1_error"].get<double>(), logged, 1e-9);
  Result none = run(" eval --weights " + w + " --held-out " + data.string());
  EXPECT_EQ(none.code, 2) << none.out;
  EXPECT_NE(none.out.find(data.string() + ": no config.json"), std::string::npos) << none.out;
  Result both = run(" eval --weights " + w + " --held-out " + r.string() + " --data " + data.string());
  EXPECT_EQ(both.code, 2) << both.out;
  Result neither = run(" eval --weights " + w);
  EXPECT_EQ(neither.code, 2) << neither.out;
  EXPECT_NE(neither.out.find("--held-out"), std::string::npos) << neither.out;
}

}  // namespace
}  // namespace alexnet
