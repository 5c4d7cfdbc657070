// Every layer's backward against central finite differences of L = sum(out * R), for the
// input and each parameter, at sampled coordinates; and LRN against docs/spec.md §1's formula written
// out as a plain loop.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "golden.hpp"
#include "layers/conv.hpp"
#include "layers/dropout.hpp"
#include "layers/flatten.hpp"
#include "layers/linear.hpp"
#include "layers/lrn.hpp"
#include "layers/max_pool.hpp"
#include "layers/softmax_xent.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

struct Bound {  // storage for a layer's parameters
  std::vector<std::vector<float>> store;
  void bind(Layer& l, uint64_t salt) {
    for (Param* p : l.params()) {
      store.emplace_back(p->size() * 3);
      float* b = store.back().data();
      p->value = b;
      p->grad = b + p->size();
      p->momentum = b + 2 * p->size();
      test::pattern(p->value, p->size(), salt++, 0.8);
    }
  }
};

// Runs forward into a plain copy of the output.
std::vector<float> run(Layer& l, const Tensor& in, const md& out_md) {
  Tensor out(out_md);
  l.forward(in, out);
  Tensor p = to_plain(out);
  return {p.data(), p.data() + p.size()};
}

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

void check_layer(Layer& layer, const dims& in_shape, double eps, double tol) {
  Bound bound;
  bound.bind(layer, 50);
  Tensor in = Tensor::plain(in_shape);
  test::pattern(in.data(), in.size(), 3, 4.0);
  const md out_md = layer.setup(in.desc(), Mode::train, true);
  layer.set_rng_key(42, 0);
  std::vector<float> out = run(layer, in, out_md);
  std::vector<float> r(out.size());
  test::pattern(r.data(), r.size(), 9, 2.0);

  Tensor out_t(out_md);
  layer.forward(in, out_t);
  Tensor d_out(out_md), d_in = Tensor::plain(in_shape);
  Tensor r_plain = Tensor::plain(out_md.dims());
  std::copy(r.begin(), r.end(), r_plain.data());
  reorder(r_plain.mem(), d_out.mem());
  layer.backward(in, out_t, d_out, d_in);

  auto loss = [&] { return dot(run(layer, in, out_md), r); };
  auto check = [&](float* x, const float* grad, int64_t n, const std::string& what) {
    const std::vector<float> analytic(grad, grad + n);  // grad may be overwritten by later calls
    double scale = 0;
    for (float g : analytic) scale = std::max(scale, static_cast<double>(std::abs(g)));
    for (int64_t i : test::sample_index(n, 24)) {
      const float keep = x[i];
      x[i] = keep + static_cast<float>(eps);
      layer.params_changed();
      const double lp = loss();
      x[i] = keep - static_cast<float>(eps);
      layer.params_changed();
      const double lm = loss();
      x[i] = keep;
      layer.params_changed();
      const double numeric = (lp - lm) / (2 * eps);
      EXPECT_NEAR(analytic[i], numeric, tol * std::max(scale, 1e-3))
          << layer.name() << " d" << what << "[" << i << "]";
    }
  };
  check(in.data(), d_in.data(), in.size(), "input");
  for (Param* p : layer.params()) check(p->value, p->grad, p->size(), p->name);
}

TEST(Gradients, ConvWithGroupsAndFusedRelu) {
  Conv c("conv", "w", "b", ConvShape{8, 16, 3, 1, 1, 2, true});
  check_layer(c, {2, 8, 6, 6}, 1e-3, 2e-2);
}

TEST(Gradients, ConvStridedNoRelu) {
  Conv c("conv", "w", "b", ConvShape{3, 8, 5, 2, 0, 1, false});
  check_layer(c, {2, 3, 11, 11}, 1e-2, 2e-2);
}

TEST(Gradients, Lrn) {
  Lrn l("norm", LrnParams{5, 0.5f, 0.75f, 2.f});  // a large alpha, so the normalisation matters
  check_layer(l, {2, 16, 3, 3}, 1e-2, 2e-2);
}

TEST(Gradients, MaxPool) {
  MaxPool p("pool", 3, 2);
  check_layer(p, {2, 8, 7, 7}, 1e-3, 2e-2);
}

TEST(Gradients, LinearWithRelu) {
  Linear l("fc", "w", "b", 20, 12, true);
  check_layer(l, {3, 20}, 1e-2, 2e-2);
}

TEST(Gradients, Flatten) {
  Flatten f("flatten");
  check_layer(f, {2, 8, 3, 3}, 1e-2, 1e-2);
}

TEST(Gradients, DropoutUsesItsMask) {
  Dropout d("drop", 0.5f);
  check_layer(d, {4, 64}, 1e-2, 1e-2);
}

TEST(Dropout, KeepsAboutHalfScaledByTwoAndIsIdentityInEval) {
  Dropout d("drop", 0.5f);
  Tensor in = Tensor::plain({64, 512});
  std::fill(in.data(), in.data() + in.size(), 1.f);
  md o = d.setup(in.desc(), Mode::train, true);
  Tensor out(o);
  d.set_rng_key(7, 0);
  d.forward(in, out);
  int64_t kept = 0;
  for (int64_t i = 0; i < out.size(); ++i) {
    ASSERT_TRUE(out.data()[i] == 0.f || out.data()[i] == 2.f);
    kept += out.data()[i] == 2.f;
  }
  EXPECT_NEAR(static_cast<double>(kept) / out.size(), 0.5, 0.01);
  d.setup(in.desc(), Mode::eval, true);
  d.forward(in, out);
  for (int64_t i = 0; i < out.size(); ++i) ASSERT_EQ(out.data()[i], 1.f);
}

// docs/spec.md §1 written out: b_i = a_i / (k + alpha/n * sum_{j=max(0,i-n/2)}^{min(N-1,i+n/2)} a_j^2)^beta
TEST(Lrn, MatchesTheFormulaOfSpec) {
  const int n = 2, c = 12, h = 4, w = 5;
  Lrn l("norm", LrnParams{});  // k=2, n=5, alpha=1e-4, beta=0.75
  Tensor in = Tensor::plain({n, c, h, w});
  test::pattern(in.data(), in.size(), 5, 60.0);  // large values, so alpha matters
  const md om = l.setup(in.desc(), Mode::eval, false);
  Tensor out(om);
  l.forward(in, out);
  Tensor got = to_plain(out);
  const float* a = in.data();
  double max_effect = 0;
  for (int b = 0; b < n; ++b)
    for (int i = 0; i < c; ++i)
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
          double s = 0;
          for (int j = std::max(0, i - 2); j <= std::min(c - 1, i + 2); ++j) {
            const double v = a[((b * c + j) * h + y) * w + x];
            s += v * v;
          }
          const int idx = ((b * c + i) * h + y) * w + x;
          const double want = a[idx] / std::pow(2.0 + 1e-4 / 5 * s, 0.75);
          EXPECT_NEAR(got.data()[idx], want, 1e-5 * std::abs(want) + 1e-7) << "at " << idx;
          max_effect = std::max(max_effect, std::abs(want - a[idx] / std::pow(2.0, 0.75)));
        }
  EXPECT_GT(max_effect, 1e-2);  // the sum term really changed the outputs
}

// Two samples of three classes: logits 1, 2, 3 and 0, 0, 0.
Tensor known_logits() {
  Tensor logits = Tensor::plain({2, 3});
  const float v[] = {1, 2, 3, 0, 0, 0};
  std::copy(v, v + 6, logits.data());
  return logits;
}

TEST(SoftmaxCrossEntropy, LossAndGradientOnKnownLogits) {
  Tensor logits = known_logits();
  Tensor d = Tensor::plain({2, 3});
  SoftmaxCrossEntropy x;
  const double loss = x.forward_backward(logits, {2, 0}, d);
  const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(loss, (-(3 - std::log(z)) + std::log(3.0)) / 2, 1e-5);
  EXPECT_NEAR(d.data()[2], (std::exp(3.0) / z - 1) / 2, 1e-6);
  EXPECT_NEAR(d.data()[3], (1.0 / 3 - 1) / 2, 1e-6);
  EXPECT_THROW(x.forward_backward(logits, {3, 0}, d), UserError);
}

// Label smoothing e: the target (1 - e) onehot + e / K, PyTorch's CrossEntropyLoss(label_smoothing=e).
TEST(SoftmaxCrossEntropy, LabelSmoothingByFormulaAndFiniteDifferences) {
  Tensor logits = known_logits();
  Tensor d = Tensor::plain({2, 3});
  SoftmaxCrossEntropy x;
  x.set_label_smoothing(0.1f);
  const double loss = x.forward_backward(logits, {2, 0}, d);
  const double lz = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)), l3 = std::log(3.0);
  const double row0 = -0.9 * (3 - lz) - 0.1 / 3 * ((1 - lz) + (2 - lz) + (3 - lz));
  const double row1 = 0.9 * l3 + 0.1 * l3;  // uniform logits: every class at -log 3
  EXPECT_NEAR(loss, (row0 + row1) / 2, 1e-5);  // log-softmax in float
  EXPECT_NEAR(d.data()[2], (std::exp(3 - lz) - 0.9 - 0.1 / 3) / 2, 1e-6);
  EXPECT_NEAR(d.data()[0], (std::exp(1 - lz) - 0.1 / 3) / 2, 1e-6);
  EXPECT_NEAR(d.data()[3], (1.0 / 3 - 0.9 - 0.1 / 3) / 2, 1e-6);
  // The gradient is the loss's: central differences on every logit.
  std::vector<float> grad(d.data(), d.data() + 6);
  for (int i = 0; i < 6; ++i) {
    const float h = 1e-2f, keep = logits.data()[i];
    logits.data()[i] = keep + h;
    const double up = x.forward(logits, {2, 0});
    logits.data()[i] = keep - h;
    const double down = x.forward(logits, {2, 0});
    logits.data()[i] = keep;
    EXPECT_NEAR(grad[i], (up - down) / (2 * h), 2e-4) << "logit " << i;
  }
  // Off, the loss is the paper's again.
  x.set_label_smoothing(0);
  EXPECT_NEAR(x.forward(logits, {2, 0}), (-(3 - lz) + l3) / 2, 1e-5);
}

}  // namespace
}  // namespace alexnet
