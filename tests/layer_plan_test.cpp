// The layer plan (model/layer_plan.hpp) is the one list every part walks: the network built from
// it has its layers and parameters in its order, with its shapes; `alexnet arch --json` prints it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "model/layer_plan.hpp"
#include "model/network.hpp"
#include "test_util.hpp"

namespace alexnet {
namespace {

TEST(LayerPlan, TheNetworkIsBuiltInItsOrderWithItsShapes) {
  for (const std::string& name : arch_names()) {
    const ArchSpec& arch = arch_by_name(name);
    const std::vector<LayerSpec> plan = layer_plan(arch, 10);
    Network net(arch, 10);
    std::vector<std::string> names;
    std::vector<std::pair<std::string, dims>> params;
    for (const LayerSpec& l : plan) {
      names.push_back(l.name);
      if (l.has_params()) params.push_back({l.weight(), l.weight_shape()}), params.push_back({l.bias(), l.bias_shape()});
    }
    EXPECT_EQ(net.layer_names(), names) << name;
    EXPECT_EQ(Network::param_shapes(arch, 10), params) << name;
    // Each layer reads what the one before gave; the last gives the classes.
    for (size_t i = 1; i < plan.size(); ++i) EXPECT_EQ(plan[i].in, plan[i - 1].out) << name << " " << plan[i].name;
    EXPECT_EQ(plan.front().in, (dims{3, arch.crop, arch.crop})) << name;
    EXPECT_EQ(plan.back().out, dims{10}) << name;
  }
}

TEST(LayerPlan, ThePapersShapes) {
  const std::vector<LayerSpec> plan = layer_plan(arch_by_name("alexnet"), 1000);
  std::map<std::string, dims> out;
  for (const LayerSpec& l : plan) out[l.name] = l.out;
  EXPECT_EQ(out["conv1"], (dims{96, 55, 55}));
  EXPECT_EQ(out["pool1"], (dims{96, 27, 27}));
  EXPECT_EQ(out["conv2"], (dims{256, 27, 27}));
  EXPECT_EQ(out["pool2"], (dims{256, 13, 13}));
  EXPECT_EQ(out["conv5"], (dims{256, 13, 13}));
  EXPECT_EQ(out["pool5"], (dims{256, 6, 6}));
  EXPECT_EQ(out["flatten"], dims{9216});
  EXPECT_EQ(out["fc8"], dims{1000});
  EXPECT_EQ(plan[0].weight_shape(), (dims{96, 3, 11, 11}));
  EXPECT_EQ(plan[3].weight_shape(), (dims{256, 48, 5, 5}));  // conv2: two groups of 48 inputs
  const std::vector<LayerSpec> tv = layer_plan(arch_by_name("alexnet-torchvision"), 1000);
  EXPECT_EQ(tv[0].weight(), "features.0.weight");
  EXPECT_EQ(tv.back().bias(), "classifier.6.bias");
}

TEST(LayerPlan, ArchPrintsItAsJson) {
  const test::Result r = test::run_shell(std::string(ALEXNET_BINARY) + " arch alexnet-mini --json --classes 10");
  ASSERT_EQ(r.code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["arch"], "alexnet-mini");
  EXPECT_EQ(j["input"], nlohmann::json({3, 28, 28}));
  std::vector<std::string> names;
  for (const auto& l : j["layers"]) names.push_back(l["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"conv1", "norm1", "pool1", "conv2", "norm2", "pool2", "conv3", "conv4", "conv5",
                                             "pool5", "flatten", "fc6", "drop7", "fc7", "drop8", "fc8"}));
  EXPECT_EQ(j["layers"][3]["groups"], 2);
  EXPECT_EQ(j["layers"][3]["weight_shape"], nlohmann::json({64, 16, 5, 5}));
  EXPECT_EQ(j["layers"][2]["kernel"], 3);
  EXPECT_EQ(j["layers"][2]["stride"], 2);
  EXPECT_EQ(j["layers"].back()["out"], nlohmann::json({10}));
  const test::Result bad = test::run_shell(std::string(ALEXNET_BINARY) + " arch alexnet-tiny");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("unknown architecture 'alexnet-tiny'"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace alexnet
