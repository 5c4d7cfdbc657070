// The public C++ API (include/alexnet/alexnet.hpp) as a user links it: this program links
// libalexnet.so alone (and the tests' own helpers). Training with a progress callback, a
// callback that stops the run and the resume that continues it, the trained weights classified
// as the command classifies them, logits and features against each other, and every mistake an
// alexnet::Error with the command's one-line message.
#include <alexnet/alexnet.hpp>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_util.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

// The table's kernels, as in the other suites (tests/isa_environment.cpp).
[[maybe_unused]] const bool kTableKernels = setenv("ALEXNET_TUNE", "off", 0) == 0;

const fs::path& data() {
  static const fs::path d = test::write_textured_idx(test::temp_root() / "api_data");
  return d;
}

// One epoch of alexnet-mini on the textured set, trained once for the tests below.
const fs::path& trained() {
  static const fs::path out = [] {
    const fs::path r = test::temp_root() / "api_run";
    TrainingRequest q;
    q.arch = "alexnet-mini", q.data = data().string(), q.out = r.string(), q.epochs = 1, q.batch = 32;
    q.threads = 2;
    q.flags = {"--val-limit", "64", "--print-every", "0"};
    const TrainingResult result = train(q);
    EXPECT_EQ(result.status, TrainingStatus::done);
    EXPECT_EQ(result.best_weights, (r / "best.safetensors").string());
    return r;
  }();
  return out;
}

TEST(Api, VersionReportNamesTheVersionAndTheLevels) {
  const std::string v = version_report();
  EXPECT_EQ(v.rfind(std::string("alexnet ") + ALEXNET_VERSION_STRING + "\n", 0), 0u) << v;
  EXPECT_NE(v.find("oneDNN "), std::string::npos) << v;
  EXPECT_NE(v.find("own kernels: "), std::string::npos) << v;
}

TEST(Api, TrainReportsProgressAndACallbackStopsItAtACheckpointThatResumes) {
  const fs::path r = test::temp_root() / "api_stopped";
  TrainingRequest q;
  q.arch = "alexnet-mini", q.data = data().string(), q.out = r.string(), q.epochs = 2, q.batch = 32;
  q.flags = {"--val-limit", "64", "--print-every", "0"};
  TrainingOptions o;
  o.step_every = 2;
  std::vector<TrainingProgress> seen;
  o.on_progress = [&](const TrainingProgress& p) {
    seen.push_back(p);
    return seen.size() < 3;  // stop at the third record: the run is in epoch 1
  };
  const TrainingResult stopped = train(q, o);
  EXPECT_EQ(stopped.status, TrainingStatus::stopped);
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].kind, "step");
  EXPECT_EQ(seen[0].step, 2);
  EXPECT_EQ(seen[1].step, 4);
  EXPECT_TRUE(std::isfinite(seen[0].loss) && seen[0].loss > 0) << seen[0].json;
  EXPECT_GT(seen[0].images_per_second, 0) << seen[0].json;
  EXPECT_EQ(nlohmann::json::parse(seen[0].json)["type"], "step");
  ASSERT_TRUE(fs::exists(r / "checkpoint.safetensors"));
  // Resumed, the run finishes both epochs; its epochs report validation errors.
  TrainingRequest resume;
  resume.resume = r.string();
  std::vector<TrainingProgress> epochs;
  TrainingOptions eo;
  eo.on_progress = [&](const TrainingProgress& p) {
    if (p.kind == "epoch") epochs.push_back(p);
    return true;
  };
  EXPECT_EQ(train(resume, eo).status, TrainingStatus::done);
  ASSERT_EQ(epochs.size(), 2u);
  EXPECT_EQ(epochs.back().epoch, 2);
  EXPECT_GE(epochs.back().val_error, 0.0);
  EXPECT_LE(epochs.back().val_error, 1.0);
}

TEST(Api, ClassifyLogitsAndFeaturesAgree) {
  Model m = Model::load((trained() / "best.safetensors").string());
  EXPECT_EQ(m.arch(), "alexnet-mini");
  EXPECT_EQ(m.num_classes(), 10);
  EXPECT_EQ(m.input_size(), 28);
  const std::vector<std::string> layers = m.layer_names();
  EXPECT_EQ(layers.front(), "conv1");
  EXPECT_EQ(layers.back(), "fc8");
  // A batch of two inputs: logits equal fc8's features, row by row, and each row equals that
  // input alone.
  std::vector<float> x(2 * 3 * 28 * 28);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(std::sin(0.01 * static_cast<double>(i)));
  const Array logits = m.logits(x);
  ASSERT_EQ(logits.shape, (std::vector<int64_t>{2, 10}));
  const Array fc8 = m.features(x, "fc8");
  ASSERT_EQ(fc8.shape, logits.shape);
  for (size_t i = 0; i < fc8.values.size(); ++i) EXPECT_NEAR(fc8.values[i], logits.values[i], 1e-5f);
  const Array second = m.logits(std::vector<float>(x.begin() + 3 * 28 * 28, x.end()));
  for (int k = 0; k < 10; ++k) EXPECT_NEAR(second.values[k], logits.values[10 + k], 1e-4f);
  const Array fc7 = m.features(x, "fc7");
  EXPECT_EQ(fc7.shape, (std::vector<int64_t>{2, 512}));
  for (float v : fc7.values) EXPECT_GE(v, 0.f);  // after its ReLU
}

TEST(Api, ClassifyAnImageAsTheCommandDoes) {
  const fs::path w = trained() / "best.safetensors", png = test::temp_root() / "api_png";
  const std::string prepare = std::string(ALEXNET_BINARY) + " prepare " + data().string() + " " + png.string() +
                              " --split test --limit 4";
  ASSERT_EQ(test::run_shell(prepare).code, 0);
  const std::string img = (png / "3" / "3.png").string();
  Model m = Model::load(w.string());
  const std::vector<Prediction> top = m.classify(img, 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_GE(top[0].probability, top[1].probability);
  EXPECT_GE(top[1].probability, top[2].probability);
  const test::Result cmd = test::run_shell(std::string(ALEXNET_BINARY) + " predict --json --topk 3 --weights " +
                                           w.string() + " " + img);
  ASSERT_EQ(cmd.code, 0) << cmd.out;
  const nlohmann::json line = nlohmann::json::parse(cmd.out.substr(cmd.out.find('{')));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(top[i].index, line["top"][i]["class"].get<int>());
    EXPECT_NEAR(top[i].probability, line["top"][i]["prob"].get<double>(), 1e-4);
  }
  const Array f = m.features({img, img}, "fc6");
  EXPECT_EQ(f.shape, (std::vector<int64_t>{2, 512}));
  // Saved and read back, as safetensors and as ONNX: the same classes.
  for (const char* name : {"copy.safetensors", "copy.onnx"}) {
    const fs::path copy = test::temp_root() / name;
    m.save(copy.string());
    Model back = Model::load(copy.string());
    EXPECT_EQ(back.classify(img, 1).at(0).index, top[0].index) << name;
  }
}

TEST(Api, MistakesAreErrorsWithTheCommandsMessage) {
  auto message = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  };
  EXPECT_NE(message([] { Model::load("/nonexistent/w.safetensors"); }).find("/nonexistent/w.safetensors"),
            std::string::npos);
  const fs::path junk = test::temp_root() / "junk.safetensors";
  std::ofstream(junk) << "not a safetensors file";
  EXPECT_NE(message([&] { Model::load(junk.string()); }).find(junk.string()), std::string::npos);
  Model m = Model::load((trained() / "best.safetensors").string());
  EXPECT_NE(message([&] { m.features(std::vector<float>(3 * 28 * 28), "fc9"); }).find("layer 'fc9'"),
            std::string::npos);
  EXPECT_NE(message([&] { m.logits(std::vector<float>(100)); }).find("takes N x 3 x 28 x 28"), std::string::npos);
  EXPECT_NE(message([&] { m.classify("/nonexistent/x.png"); }).find("/nonexistent/x.png"), std::string::npos);
  EXPECT_NE(message([&] { m.set_class_names({"a"}); }).find("1 class names for 10 classes"), std::string::npos);
  TrainingRequest q;
  q.data = data().string();  // no --out
  EXPECT_NE(message([&] { train(q); }).find("--out"), std::string::npos);
  q.out = (test::temp_root() / "api_bad").string();
  q.flags = {"--no-such-flag"};
  EXPECT_NE(message([&] { train(q); }).find("--no-such-flag"), std::string::npos);
}

}  // namespace
}  // namespace alexnet
