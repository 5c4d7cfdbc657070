// The three networks against PyTorch (tests/data/golden_*.safetensors, written by
// tools/make_golden.py): eval logits, the training loss, and every parameter's gradient
// (sum, sum of squares, max and 64 sampled entries), all within 1e-4 relative.
#include <gtest/gtest.h>

#include <cmath>

#include "golden.hpp"
#include "formats/safetensors.hpp"
#include "layers/softmax_xent.hpp"
#include "train/sgd.hpp"

namespace alexnet {
namespace {

struct Golden {
  SafetensorsFile f;
  const std::vector<float>& operator[](const std::string& k) const {
    auto it = f.tensors.find(k);
    if (it == f.tensors.end()) throw std::runtime_error("golden has no " + k);
    return it->second.data;
  }
};

Golden load(const std::string& arch) {
  return {read_safetensors(std::string(ALEXNET_TEST_DATA) + "/golden_" + arch + ".safetensors")};
}

// |a - b| <= tol * max(|b|, floor): relative, with a floor for values near zero.
void expect_close(double a, double b, double tol, double floor, const std::string& what) {
  EXPECT_LE(std::abs(a - b), tol * std::max(std::abs(b), floor)) << what << ": " << a << " vs " << b;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, LogitsLossAndEveryGradientMatchPyTorch) {
  const std::string arch = GetParam();
  Golden g = load(arch);
  const int batch = std::stoi(g.f.metadata.at("batch"));
  const int classes = std::stoi(g.f.metadata.at("classes"));
  Network net(arch_by_name(arch), classes);
  test::fill_golden_weights(net);
  Tensor x = Tensor::plain(net.input_shape(batch));
  test::pattern(x.data(), x.size(), 1, 4.0);

  // Eval-mode logits.
  const Tensor& logits = net.forward(x, Mode::eval);
  const auto& want = g["logits"];
  ASSERT_EQ(logits.size(), static_cast<int64_t>(want.size()));
  double max_logit = 0;
  for (float v : want) max_logit = std::max(max_logit, static_cast<double>(std::abs(v)));
  for (int64_t i = 0; i < logits.size(); ++i)
    expect_close(logits.data()[i], want[i], 1e-4, max_logit, arch + " logit " + std::to_string(i));

  // Training-mode loss and gradients, dropout off (PyTorch's masks are not ours).
  net.set_dropout(0.f);
  std::vector<int32_t> labels;
  for (float v : g["labels"]) labels.push_back(static_cast<int32_t>(v));
  SoftmaxCrossEntropy xent;
  const double loss = xent.forward_backward(net.forward(x, Mode::train, 1), labels, net.d_logits());
  net.backward();
  expect_close(loss, g["loss"][0], 1e-4, 0, arch + " loss");

  for (Param* p : net.params()) {
    const std::string& n = p->name;
    double sum = 0, sumsq = 0, mx = 0;
    for (int64_t i = 0; i < p->size(); ++i) {
      sum += p->grad[i];
      sumsq += static_cast<double>(p->grad[i]) * p->grad[i];
      mx = std::max(mx, static_cast<double>(std::abs(p->grad[i])));
    }
    const double gmax = g["grad_max/" + n][0];
    expect_close(mx, gmax, 1e-4, 0, n + " max |grad|");
    expect_close(sumsq, g["grad_sumsq/" + n][0], 2e-4, 0, n + " sum grad^2");
    // A sum of p->size() terms of size <= gmax: rounding alone allows about sqrt(size) ulps.
    expect_close(sum, g["grad_sum/" + n][0], 1e-4, gmax * std::sqrt(static_cast<double>(p->size())),
                 n + " sum grad");
    const auto idx = test::sample_index(p->size());
    const auto& s = g["grad_sample/" + n];
    for (size_t k = 0; k < idx.size(); ++k)
      expect_close(p->grad[idx[k]], s[k], 1e-4, gmax, n + " grad[" + std::to_string(idx[k]) + "]");
  }
}

INSTANTIATE_TEST_SUITE_P(AllArchs, GoldenTest,
                         ::testing::Values("alexnet-mini", "alexnet", "alexnet-torchvision", "alexnet-caffe"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) if (c == '-') c = '_';
                           return s;
                         });

// At batch 16, with the 3x3 convolutions' Winograd in chunks of 8 images (layers/winograd.hpp),
// the logits of 8 copies of the golden batch still equal PyTorch's.
TEST(GoldenWinograd, LargeBatchInferenceMatchesPyTorch) {
  for (const std::string arch : {"alexnet-torchvision", "alexnet"}) {
    Golden g = load(arch);
    Network net(arch_by_name(arch), 1000);
    test::fill_golden_weights(net);
    const int copies = 8;
    Tensor two = Tensor::plain(net.input_shape(2));
    test::pattern(two.data(), two.size(), 1, 4.0);
    Tensor x = Tensor::plain(net.input_shape(2 * copies));
    for (int c = 0; c < copies; ++c) std::copy(two.data(), two.data() + two.size(), x.data() + c * two.size());
    const Tensor& logits = net.forward(x, Mode::eval);
    const auto& want = g["logits"];
    double max_logit = 0;
    for (float v : want) max_logit = std::max(max_logit, static_cast<double>(std::abs(v)));
    for (int c = 0; c < copies; ++c)
      for (size_t i = 0; i < want.size(); ++i)
        expect_close(logits.data()[c * want.size() + i], want[i], 1e-4, max_logit,
                     arch + " copy " + std::to_string(c) + " logit " + std::to_string(i));
  }
}

// Three steps of the paper's rule at constant lr give torch.optim.SGD's losses.
TEST(GoldenSgd, ThreeStepsFollowTorchOptimSgdAtConstantLr) {
  Golden g = load("alexnet-mini");
  Network net(arch_by_name("alexnet-mini"), 10);
  test::fill_golden_weights(net);
  net.set_dropout(0.f);
  Tensor x = Tensor::plain(net.input_shape(8));
  test::pattern(x.data(), x.size(), 1, 4.0);
  std::vector<int32_t> labels;
  for (float v : g["labels"]) labels.push_back(static_cast<int32_t>(v));
  SoftmaxCrossEntropy xent;
  const auto& want = g["sgd_losses"];
  for (int step = 0; step < 3; ++step) {
    const double loss = xent.forward_backward(net.forward(x, Mode::train, 1), labels, net.d_logits());
    expect_close(loss, want[step], 1e-4, 0, "loss at step " + std::to_string(step));
    net.backward();
    sgd_step(net.values(), net.grads(), net.momenta(), net.num_params(), SgdConfig{});
    net.params_changed();
  }
}

}  // namespace
}  // namespace alexnet
