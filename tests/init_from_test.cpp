// Fine-tuning's start (--init-from): which layers are copied and which start afresh.
#include <gtest/gtest.h>

#include <filesystem>

#include "formats/safetensors.hpp"
#include "formats/weights.hpp"
#include "test_util.hpp"
#include "train/init_from.hpp"
#include "train/sgd.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> names(int n, const std::string& prefix = "c") {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

// A fresh folder with the command-line tests' data and a one-epoch alexnet-mini run on it
// (DIR/a/best.safetensors): what the fine-tuning runs start from.
struct Pretrained {
  fs::path dir, data;
  std::string bin = ALEXNET_BINARY, common, weights;
};

Pretrained pretrain(const std::string& name) {
  Pretrained p;
  p.dir = test::temp_root() / name;
  fs::remove_all(p.dir);
  p.data = test::write_textured_idx(p.dir / "data");
  p.common = " train --batch 32 --threads 2 --print-every 0 --epochs 1 --data " + p.data.string();
  const test::Result first = test::run_shell(p.bin + p.common + " --arch alexnet-mini --out " + (p.dir / "a").string());
  EXPECT_EQ(first.code, 0) << first.out;
  p.weights = (p.dir / "a" / "best.safetensors").string();
  return p;
}

bool equal(const Param& a, const Param& b) {
  return a.shape == b.shape && std::equal(a.value, a.value + a.size(), b.value);
}

TEST(InitFrom, SameClassesKeepEverythingNewClassesGetANewClassifier) {
  Network source(arch_by_name("alexnet-mini"), 10);
  source.init(InitKind::kaiming, 1);
  {
    Network net(arch_by_name("alexnet-mini"), 10);
    net.init(InitKind::kaiming, 2);
    const InitFromReport r = copy_trained_params(source, names(10), net, names(10), "w.safetensors");
    EXPECT_EQ(r.fresh.size(), 0u);
    EXPECT_EQ(describe(r), "conv1-fc8 copied");
    for (size_t i = 0; i < net.params().size(); ++i) EXPECT_TRUE(equal(*net.params()[i], *source.params()[i]));
  }
  {
    Network net(arch_by_name("alexnet-mini"), 5);
    net.init(InitKind::kaiming, 2);
    const std::vector<float> fc8(net.params().back()->value, net.params().back()->value + 5);
    const InitFromReport r = copy_trained_params(source, names(10), net, names(5), "w.safetensors");
    EXPECT_EQ(describe(r), "conv1-fc7 copied, fc8 new (5 classes instead of 10)");
    for (size_t i = 0; i + 2 < net.params().size(); ++i) EXPECT_TRUE(equal(*net.params()[i], *source.params()[i]));
    EXPECT_TRUE(std::equal(fc8.begin(), fc8.end(), net.params().back()->value));  // its own init
  }
  {
    Network net(arch_by_name("alexnet-mini"), 10);
    const InitFromReport r = copy_trained_params(source, names(10), net, names(10, "other"), "w.safetensors");
    EXPECT_EQ(describe(r), "conv1-fc7 copied, fc8 new (the classes have other names)");
  }
  {  // --reinit conv4-fc8: conv1-conv3 copied, the rest keeps its own initialisation
    Network net(arch_by_name("alexnet-mini"), 10);
    net.init(InitKind::kaiming, 2);
    Network fresh(arch_by_name("alexnet-mini"), 10);
    fresh.init(InitKind::kaiming, 2);
    const InitFromReport r = copy_trained_params(source, names(10), net, names(10), "w.safetensors",
                                                 {"conv4", "conv5", "fc6", "fc7", "fc8"});
    EXPECT_EQ(describe(r), "conv1-conv3 copied, conv4-fc8 new (--reinit)");
    for (size_t i = 0; i < net.params().size(); ++i) {
      const bool copied = i < 6;  // conv1-conv3: weight and bias each
      EXPECT_TRUE(equal(*net.params()[i], copied ? *source.params()[i] : *fresh.params()[i])) << i;
    }
  }
  Network other(arch_by_name("alexnet"), 10);
  EXPECT_ANY_THROW(copy_trained_params(source, {}, other, {}, "w.safetensors"));
}

TEST(InitFrom, CommandLineCopiesAndRefusesAMisshapenLayer) {
  const Pretrained pre = pretrain("alexnet_init_from_test");
  const fs::path &dir = pre.dir, &data = pre.data;
  const std::string &bin = pre.bin, &common = pre.common, &w = pre.weights;
  ASSERT_FALSE(HasFailure()) << "the run to start from failed";
  test::Result tuned = test::run_shell(bin + common + " --init-from " + w + " --out " + (dir / "b").string());
  ASSERT_EQ(tuned.code, 0) << tuned.out;
  EXPECT_NE(tuned.out.find("conv1-fc8 copied"), std::string::npos) << tuned.out;
  // Few images: 40 samples (3 held out for validation) and the default batch of 128.
  test::Result few = test::run_shell(bin + " train --threads 2 --print-every 0 --epochs 2 --limit 40 --data " +
                                     data.string() + " --init-from " + w + " --out " + (dir / "few").string());
  ASSERT_EQ(few.code, 0) << few.out;
  EXPECT_NE(few.out.find("fewer than --batch 128: batches of"), std::string::npos) << few.out;
  // conv2's weight with the wrong shape: one line naming it, exit code 2.
  SafetensorsFile f = read_safetensors(w);
  f.tensors["conv2.weight"].shape[0] = 32;
  f.tensors["conv2.weight"].data.resize(f.tensors["conv2.weight"].data.size() / 2);
  write_safetensors((dir / "bad.safetensors").string(), f);
  test::Result bad = test::run_shell(bin + common + " --init-from " + (dir / "bad.safetensors").string() + " --out " +
                                     (dir / "c").string());
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("conv2.weight"), std::string::npos) << bad.out;
}

// One SGD step by hand: a frozen stretch is not touched (no decay, no momentum), a new layer
// moves with lr x lr_mult.
TEST(InitFrom, SgdRangesApplyLrMultipliersAndSkipFrozenParameters) {
  std::vector<float> w = {1, 2, 3, 4, 5}, g = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}, v = {0, 0, 0, 0, 0};
  const SgdConfig c{0.1f, 0.9f, 0.01f};
  sgd_step(w.data(), g.data(), v.data(), {{0, 2, 1.f}, {3, 2, 10.f}}, c);
  // v = -decay*lr*w - lr*g with lr 0.1 (x10 for the last two); index 2 frozen.
  EXPECT_FLOAT_EQ(w[0], 1 - 0.01f * 0.1f * 1 - 0.1f * 0.5f);
  EXPECT_FLOAT_EQ(w[1], 2 - 0.01f * 0.1f * 2 - 0.1f * 0.5f);
  EXPECT_EQ(w[2], 3.f);
  EXPECT_EQ(v[2], 0.f);
  EXPECT_FLOAT_EQ(w[3], 4 - 0.01f * 1.f * 4 - 1.f * 0.5f);
  EXPECT_FLOAT_EQ(w[4], 5 - 0.01f * 1.f * 5 - 1.f * 0.5f);
}

TEST(InitFrom, FrozenLayersStayBitIdenticalAndTheRestLearns) {
  const Pretrained pre = pretrain("alexnet_freeze_test");
  const fs::path& dir = pre.dir;
  const std::string &bin = pre.bin, &common = pre.common, &w = pre.weights;
  ASSERT_FALSE(HasFailure()) << "the run to start from failed";
  test::Result tuned = test::run_shell(bin + common + " --init-from " + w + " --freeze conv1-conv5 --lr-mult-new 10 --out " +
                                       (dir / "b").string());
  ASSERT_EQ(tuned.code, 0) << tuned.out;
  const SafetensorsFile before = read_safetensors(w);
  const SafetensorsFile after = read_safetensors((dir / "b" / "checkpoint.safetensors").string());
  for (const char* layer : {"conv1", "conv2", "conv3", "conv4", "conv5", "fc6", "fc7", "fc8"})
    for (const char* kind : {".weight", ".bias"}) {
      const std::string n = std::string(layer) + kind;
      const bool same = before.tensors.at(n).data == after.tensors.at(n).data;
      EXPECT_EQ(same, std::string(layer).rfind("conv", 0) == 0) << n << (same ? " did not learn" : " changed while frozen");
    }
  EXPECT_NE(test::run_shell(bin + common + " --init-from " + w + " --freeze conv1-conv9 --out " + (dir / "c").string())
                .out.find("--freeze: 'conv9'"),
            std::string::npos);
}

}  // namespace
}  // namespace alexnet
