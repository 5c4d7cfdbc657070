// int8 inference (kernels/quant.hpp) against PyTorch's fp32 simulation of the same
// quantization (tests/data/golden_int8_*.safetensors, tools/make_golden_int8.py), the 16-bit
// saturation of CPUs without VNNI, and int8 files: written, read back, and refused when hostile.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "formats/quantized_weights.hpp"
#include "formats/weights.hpp"
#include "golden.hpp"
#include "kernels/conv_int8.hpp"
#include "kernels/tuning.hpp"
#include "model/layer_plan.hpp"
#include "tensor/layout.hpp"
#include "test_util.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

SafetensorsFile golden(const std::string& arch) {
  return read_safetensors(std::string(ALEXNET_TEST_DATA) + "/golden_int8_" + arch + ".safetensors");
}

// The golden's weights (the hash pattern), made 7-bit with its scales, and its quantization.
std::unique_ptr<Network> quantized_golden_net(const std::string& arch, const SafetensorsFile& g) {
  auto net = std::make_unique<Network>(arch_by_name(arch), std::stoi(g.metadata.at("classes")));
  test::fill_golden_weights(*net);
  Quantization q;
  for (const LayerSpec& l : layer_plan(net->arch(), net->classes())) {
    if (!l.has_params()) continue;
    auto lq = std::make_shared<LayerQuant>();
    lq->w_scale = g.tensors.at(l.name + ".weight_scale").data;
    lq->in_scale = g.tensors.at(l.name + ".input_scale").data[0];
    lq->in_zero = static_cast<int>(g.tensors.at(l.name + ".input_zero_point").data[0]);
    Param* w = net->find_param(l.weight());
    const int64_t per_out = w->size() / w->shape[0];
    for (int64_t i = 0; i < w->size(); ++i) {
      const float s = lq->w_scale[i / per_out];
      w->value[i] = std::clamp(std::nearbyint(w->value[i] / s), -63.f, 63.f) * s;
    }
    q[l.name] = lq;
  }
  net->params_changed();
  net->set_quantization(q);
  return net;
}

// ||got - want|| / ||want||, over want.size() values.
double relative_l2(const float* got, const std::vector<float>& want) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) diff += std::pow(got[i] - want[i], 2), norm += std::pow(want[i], 2);
  return std::sqrt(diff / norm);
}

class Int8Golden : public ::testing::TestWithParam<std::string> {};

// Every layer in int8 (the table's choice, ALEXNET_TUNE=off in the tests). End to end the
// logits equal the simulation's up to activations that the last bit of an f32 sum (ours against
// PyTorch's f64) rounds across a quantization step: none in alexnet-mini; in the larger nets a
// few from conv5 on, which the fc layers of these random weights amplify to ~0.5% of the logits
// (int8's own error against f32 is ~2.3%). The rule itself is held exactly layer by layer below.
TEST_P(Int8Golden, LogitsMatchPyTorchsSimulationOfTheSameQuantization) {
  const std::string arch = GetParam();
  const SafetensorsFile g = golden(arch);
  auto net = quantized_golden_net(arch, g);
  const int batch = std::stoi(g.metadata.at("batch"));
  Tensor x = Tensor::plain(net->input_shape(batch));
  test::pattern(x.data(), x.size(), 1, 4.0);
  const Tensor& logits = net->forward(x, Mode::eval);
  for (const LayerTiming& t : net->timings())
    if (t.forward_flops > 0) {
      EXPECT_EQ(t.precision, "int8") << t.name << ": " << t.kernel;
    }
  const auto& want = g.tensors.at("logits").data;
  const auto& f32 = g.tensors.at("logits_f32").data;
  ASSERT_EQ(logits.size(), static_cast<int64_t>(want.size()));
  EXPECT_LT(relative_l2(logits.data(), want), arch == "alexnet-mini" ? 2e-5 : 1e-2) << arch << ": int8 against its simulation";
  EXPECT_GT(relative_l2(f32.data(), want), 5e-3) << arch << ": the simulation should differ from f32";
}

// One layer's output element, computed in f64 by the rule of kernels/quant.hpp (the bias an
// int32 of the product's scale) from the
// input the layer got (plain), its f32 weights and its quantization.
double reference_output(const LayerSpec& l, const Network& net, const Tensor& in, const LayerQuant& q, int64_t index) {
  const Param& w = *const_cast<Network&>(net).find_param(l.weight());
  const Param& b = *const_cast<Network&>(net).find_param(l.bias());
  auto quantized = [&](float x) {  // (u - zero) * scale
    const float u = std::clamp(std::nearbyint(x * (1.f / q.in_scale) + static_cast<float>(q.in_zero)), 0.f, 255.f);
    return (u - q.in_zero) * double(q.in_scale);
  };
  const dims d = in.shape();
  double sum = 0;
  int64_t o = 0;
  if (l.kind == LayerKind::linear) {
    const int64_t n = index / l.out[0];
    o = index % l.out[0];
    for (int64_t i = 0; i < d[1]; ++i) sum += quantized(in.data()[n * d[1] + i]) * w.value[o * d[1] + i];
  } else {
    const int64_t oh = l.out[1], ow = l.out[2], per_group = l.in[0] / l.groups;
    const int64_t n = index / (l.out[0] * oh * ow), y = index / ow % oh, x = index % ow;
    o = index / (oh * ow) % l.out[0];
    const int64_t g = o / (l.out[0] / l.groups);
    for (int64_t c = 0; c < per_group; ++c)
      for (int ky = 0; ky < l.kernel; ++ky)
        for (int kx = 0; kx < l.kernel; ++kx) {
          const int64_t iy = y * l.stride - l.pad + ky, ix = x * l.stride - l.pad + kx;
          if (iy < 0 || ix < 0 || iy >= d[2] || ix >= d[3]) continue;  // padding: x = 0 exactly
          const float v = in.data()[((n * d[1] + g * per_group + c) * d[2] + iy) * d[3] + ix];
          sum += quantized(v) * w.value[((o * per_group + c) * l.kernel + ky) * l.kernel + kx];
        }
  }
  const double product_scale = q.in_scale * q.w_scale[o];  // f32, as the file's QDQ graph has it
  const double y = sum + std::nearbyint(b.value[o] / product_scale) * product_scale;
  return l.relu ? std::max(y, 0.0) : y;
}

// Each int8 layer, given the input it got, computes what the rule says: 256 sampled outputs
// of every layer, on each instruction-set level the suite runs.
TEST_P(Int8Golden, EveryLayerComputesTheRuleOnItsOwnInput) {
  const std::string arch = GetParam();
  const SafetensorsFile g = golden(arch);
  auto net = quantized_golden_net(arch, g);
  Tensor x = Tensor::plain(net->input_shape(std::stoi(g.metadata.at("batch"))));
  test::pattern(x.data(), x.size(), 1, 4.0);
  for (const auto& n : net->layer_names()) net->keep_output(n);
  net->forward(x, Mode::eval);
  Tensor in = x;
  for (const LayerSpec& l : layer_plan(net->arch(), net->classes())) {
    const Tensor out = net->output_of(l.name);
    if (l.has_params()) {
      const LayerQuant& q = *net->quantization().at(l.name);
      double worst = 0;
      for (int64_t index : test::sample_index(out.size(), 256)) {
        const double want = reference_output(l, *net, in, q, index);
        worst = std::max(worst, std::abs(out.data()[index] - want) / (std::abs(want) + 1e-3));
      }
      EXPECT_LT(worst, 1e-4) << arch << " " << l.name;  // one quantization step would be ~4e-3
    }
    in = out;
  }
}

// Where an f32 kernel measures faster on an int8 layer, it computes the same rule
// (kernels/int8_simulated.hpp): each f32 candidate of each int8 decision, forced, gives the
// logits of PyTorch's simulation, as the int8 kernel does.
TEST(Int8, EveryF32CandidateComputesTheInt8Rule) {
  const SafetensorsFile g = golden("alexnet-mini");
  const auto& want = g.tensors.at("logits").data;
  auto logits = [&] {
    auto net = quantized_golden_net("alexnet-mini", g);
    Tensor x = Tensor::plain(net->input_shape(std::stoi(g.metadata.at("batch"))));
    test::pattern(x.data(), x.size(), 1, 4.0);
    return to_plain(net->forward(x, Mode::eval));
  };
  force_choices({});
  logits();
  int alternatives = 0;
  for (const auto& [key, choice] : choices_made()) {
    if (key.find(" int8 ") == std::string::npos) continue;
    for (const std::string& other : choice.offered) {
      if (other == "int8") continue;
      force_choices({{key, other}});
      const Tensor got = logits();
      EXPECT_LT(relative_l2(got.data(), want), 2e-5) << key << " on " << other;
      ++alternatives;
    }
  }
  force_choices({});
  EXPECT_GE(alternatives, 8) << "every int8 layer offers f32 kernels too";
}

// Without VNNI, vpmaddubsw adds pairs of u8 x s8 products into 16 bits: 255 * 127 * 2 would
// saturate. An input of 255s against weights of 127 (halved to 7 bits on such a CPU) and of -63
// (kept) gives the exact sums, on every level: nothing saturates.
TEST(Int8, NoSumSaturatesAtTheExtremes) {
  for (int weight : {127, -63}) {
    const ConvShape s{64, 16, 3, 1, 0, 1, false};
    std::vector<float> w(16 * 64 * 9, weight * 0.01f), b(16, 0.f);
    LayerQuant q;
    q.in_scale = 1.f;
    q.w_scale.assign(16, 0.01f);
    ConvRequest r{s, {w.data(), b.data()}, plain_md({1, 64, 6, 6}), Mode::eval, false, false, &q};
    Int8Conv conv;
    Tensor out(conv.setup(r));
    Tensor in = Tensor::plain({1, 64, 6, 6});
    std::fill(in.data(), in.data() + in.size(), 255.f);
    conv.forward(in, out);
    const Tensor plain = to_plain(out);
    // Halved on a CPU without VNNI: 127 -> 64 (rne(63.5)) at twice the scale.
    const double q_weight = weight == 127 && int8_weight_limit() == 63 ? 128 : weight;
    EXPECT_NEAR(plain.data()[0], 255.0 * q_weight * 0.01 * 64 * 9, 1e-2) << conv.impl(Pass::forward);
  }
}

// An int8 network saved and read back computes what it computed; hostile int8 files are refused
// with one line naming the file and the tensor.
TEST(Int8Files, RoundTripAndHostileFilesRefused) {
  const SafetensorsFile g = golden("alexnet-mini");
  auto net = quantized_golden_net("alexnet-mini", g);
  Tensor x = Tensor::plain(net->input_shape(4));
  test::pattern(x.data(), x.size(), 1, 4.0);
  const Tensor want = to_plain(net->forward(x, Mode::eval));
  const std::string path = (test::temp_root() / "int8.safetensors").string();
  std::filesystem::create_directories(test::temp_root());
  save_weights(*net, ModelInfo{"alexnet-mini", {}, {}, {}}, path);
  const SafetensorsFile file = read_safetensors(path);
  EXPECT_EQ(file.tensors.at("conv1.weight").dtype, "I8");
  EXPECT_EQ(file.metadata.at("precision"), "int8");
  LoadedModel back = load_model(path, "");
  ASSERT_EQ(back.net->quantization().size(), 8u);
  const Tensor got = to_plain(back.net->forward(x, Mode::eval));
  for (int64_t i = 0; i < want.size(); ++i) ASSERT_EQ(got.data()[i], want.data()[i]) << i;
  EXPECT_THROW(back.net->forward(x, Mode::train), UserError);  // int8 does not train

  auto refused = [&](const std::string& what, const std::function<void(SafetensorsFile&)>& edit,
                     const std::string& says) {
    SafetensorsFile bad = file;
    edit(bad);
    const std::string p = (test::temp_root() / ("bad_" + what + ".safetensors")).string();
    write_safetensors(p, bad);
    try {
      load_model(p, "");
      ADD_FAILURE() << what << ": no error";
    } catch (const UserError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(p), std::string::npos) << what << ": " << m;
      EXPECT_NE(m.find(says), std::string::npos) << what << ": " << m;
      EXPECT_EQ(m.find('\n'), std::string::npos) << what << ": " << m;
    }
  };
  refused("zero_scale", [](auto& f) { f.tensors["conv2.weight_scale"].data[3] = 0; }, "'conv2.weight_scale'");
  refused("nan_scale", [](auto& f) { f.tensors["fc6.input_scale"].data[0] = NAN; }, "'fc6.input_scale'");
  refused("short_scales", [](auto& f) { f.tensors["fc7.weight_scale"].data.pop_back(); f.tensors["fc7.weight_scale"].shape = {511}; },
          "'fc7.weight_scale' has shape [511]");
  refused("weight_shape", [](auto& f) { auto& w = f.tensors["conv1.weight"]; w.shape[0] /= 2; w.data.resize(w.data.size() / 2); },
          "'conv1.weight' has shape");
  refused("no_scale", [](auto& f) { f.tensors.erase("fc8.weight_scale"); }, "'fc8.weight_scale'");
  refused("f32_weight", [](auto& f) { f.tensors["fc8.weight"].dtype = "F32"; }, "'fc8.weight' is not I8");
  refused("zero_point_type", [](auto& f) { f.tensors["conv1.input_zero_point"].dtype = "F32"; }, "'conv1.input_zero_point' is F32");
  // Training from int8 weights (init-from, resume) is refused too.
  Network fresh(arch_by_name("alexnet-mini"), 10);
  EXPECT_THROW(import_params(fresh, file, path), UserError);
}

// The command: calibration refused where it cannot be honest or cannot run, then an int8 file
// that predict, eval and bench run in int8.
TEST(Int8Files, QuantizeCommand) {
  namespace fs = std::filesystem;
  const fs::path dir = test::temp_root() / "quantize";
  const fs::path data = test::write_textured_idx(dir / "data");
  Network net(arch_by_name("alexnet-mini"), 10);
  net.init(InitKind::kaiming, 3);
  const std::string w = (dir / "f32.safetensors").string(), q = (dir / "int8.safetensors").string();
  save_weights(net, ModelInfo{"alexnet-mini", {}, {}, {}}, w);
  auto run = [](const std::string& args) { return test::run_shell(std::string(ALEXNET_BINARY) + " " + args); };
  const std::string base = " quantize --weights " + w + " --batch 16 --images 64 --out " + q + " --calib ";
  // Its train and t10k splits are the same images: an evaluation set.
  test::Result same = run(base + data.string() + " --eval " + data.string());
  EXPECT_EQ(same.code, 2) << same.out;
  EXPECT_NE(same.out.find("is the evaluation set"), std::string::npos) << same.out;
  const fs::path few = test::write_idx_dir(dir / "few", 8, [](int i, int p) { return uint8_t(i + p); });
  test::Result small = run(base + few.string());
  EXPECT_EQ(small.code, 2) << small.out;
  EXPECT_NE(small.out.find("fewer than a batch"), std::string::npos) << small.out;
  fs::create_directories(dir / "junk" / "a");
  write_file_atomic((dir / "junk" / "a" / "x.png").string(), std::string(100, 'x'));
  for (int i = 0; i < 20; ++i) fs::copy_file(dir / "junk" / "a" / "x.png", dir / "junk" / "a" / (std::to_string(i) + ".png"));
  test::Result junk = run(base + (dir / "junk").string());
  EXPECT_EQ(junk.code, 2) << junk.out;
  EXPECT_FALSE(fs::exists(q)) << "a refused command leaves no file";

  test::Result ok = run(base + data.string());
  ASSERT_EQ(ok.code, 0) << ok.out;
  test::Result again = run(" quantize --weights " + q + " --batch 16 --out " + (dir / "twice.safetensors").string() +
                           " --calib " + data.string());
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_NE(again.out.find("int8 already"), std::string::npos) << again.out;
  test::Result e = run(" eval --weights " + q + " --data " + data.string() + " --limit 40");
  EXPECT_EQ(e.code, 0) << e.out;
  test::Result b = run(" bench --weights " + q + " --batch 2 --reps 1 --warmup 0 --layers");
  EXPECT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("int8 "), std::string::npos) << b.out;
}

INSTANTIATE_TEST_SUITE_P(Archs, Int8Golden, ::testing::Values("alexnet-mini", "alexnet", "alexnet-torchvision"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) if (c == '-') c = '_';
                           return s;
                         });

}  // namespace
}  // namespace alexnet
