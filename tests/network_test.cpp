#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "kernels/lrn_kernels.hpp"
#include "model/network.hpp"
#include "tensor/layout.hpp"
#include "train/sgd.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

TEST(Network, ParameterCountsAreThePapers) {
  EXPECT_EQ(Network(arch_by_name("alexnet"), 1000).num_params(), 60965224);
  EXPECT_EQ(Network(arch_by_name("alexnet-torchvision"), 1000).num_params(), 61100840);
  EXPECT_EQ(Network(arch_by_name("alexnet-mini"), 10).num_params(), 552138);
}

TEST(Network, PaperInitHasUnitBiasesInConv245Fc67) {
  Network net(arch_by_name("alexnet-mini"), 10);
  net.init(InitKind::paper, 3);
  for (Param* p : net.params()) {
    if (!p->is_bias) {
      double mean = 0, s2 = 0;
      for (int64_t i = 0; i < p->size(); ++i) mean += p->value[i], s2 += p->value[i] * p->value[i];
      mean /= static_cast<double>(p->size());
      if (p->size() > 10000) {  // N(0, 0.01^2)
        EXPECT_NEAR(mean, 0.0, 0.0005) << p->name;
        EXPECT_NEAR(std::sqrt(s2 / p->size()), 0.01, 0.0005) << p->name;
      }
      continue;
    }
    const bool one = p->name == "conv2.bias" || p->name == "conv4.bias" || p->name == "conv5.bias" ||
                     p->name == "fc6.bias" || p->name == "fc7.bias";
    for (int64_t i = 0; i < p->size(); ++i) ASSERT_EQ(p->value[i], one ? 1.f : 0.f) << p->name;
  }
}

TEST(Network, OutputShapesFollowTheTables) {
  for (const auto& [arch, size] : std::vector<std::pair<std::string, int>>{{"alexnet", 6}, {"alexnet-torchvision", 6}, {"alexnet-mini", 2}}) {
    Network net(arch_by_name(arch), 7);
    Tensor x = Tensor::plain(net.input_shape(1));
    std::fill(x.data(), x.data() + x.size(), 0.5f);
    net.keep_output("pool5");
    EXPECT_EQ(net.forward(x, Mode::eval).shape(), (dims{1, 7}));
    EXPECT_EQ(net.output_of("pool5").shape()[2], size);
  }
}

// Inference shares two buffers among the activations: the logits must not change with what
// is kept, a kept output must equal the training-mode one, and an overwritten output must be
// refused, not returned.
TEST(Network, InferenceSharesActivationBuffersWithoutChangingResults) {
  Network net(arch_by_name("alexnet-mini"), 10);
  net.init(InitKind::kaiming, 5);
  net.set_dropout(0.f);
  Tensor x = Tensor::plain(net.input_shape(4));
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = static_cast<float>((i * 7919) % 1000) / 1000.f;
  const Tensor shared = to_plain(net.forward(x, Mode::eval));
  EXPECT_ANY_THROW(net.output_of("conv3"));
  net.keep_output("conv3");
  const Tensor kept = to_plain(net.forward(x, Mode::eval));
  const Tensor conv3 = net.output_of("conv3");
  net.forward(x, Mode::train);
  const Tensor conv3_train = net.output_of("conv3");
  for (int64_t i = 0; i < shared.size(); ++i) ASSERT_EQ(shared.data()[i], kept.data()[i]);
  for (int64_t i = 0; i < conv3.size(); ++i) ASSERT_NEAR(conv3.data()[i], conv3_train.data()[i], 1e-5f);
}

// An inference-only network gives back its plain fc weights once the blocked copy exists (on
// AVX-512; under AVX2 the fc layers read the plain ones and nothing is given back), block of
// rows by block of rows: the logits stay those of a normal network at every batch size, and
// training or changing it is refused. Torchvision's fc layers are copied in 64-row blocks
// (fc6), and its fc8's 1000 rows end in a partial one.
TEST(Network, InferenceOnlyKeepsItsLogitsAndRefusesToTrain) {
  for (const auto& [name, classes, batches] :
       {std::tuple<const char*, int, std::vector<int>>{"alexnet-mini", 10, {16, 1, 3, 16}},
        {"alexnet-torchvision", 1000, {2, 1}}}) {
    SCOPED_TRACE(name);
    const ArchSpec& arch = arch_by_name(name);
    Network a(arch, classes), b(arch, classes);
    a.init(InitKind::kaiming, 5);
    b.init(InitKind::kaiming, 5);
    b.set_inference_only();
    for (int batch : batches) {
      Tensor x = Tensor::plain(a.input_shape(batch));
      for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.37f * static_cast<float>(i));
      const Tensor& la = a.forward(x, Mode::eval);
      const Tensor& lb = b.forward(x, Mode::eval);
      for (int64_t i = 0; i < la.size(); ++i) ASSERT_EQ(la.data()[i], lb.data()[i]) << batch << " " << i;
    }
    EXPECT_THROW(b.params_changed(), InternalError);
    Tensor x = Tensor::plain(b.input_shape(2));
    EXPECT_THROW(b.forward(x, Mode::train), InternalError);
  }
}

// Under AVX2 torchvision's conv1 pads its input explicitly, 8 images at a time in inference
// (src/kernels/conv_padded.cpp): a batch of 11 (runs of 8 and 3) gives each image's batch-1 logits.
TEST(Network, BatchInRunsOfPaddedImagesEqualsImageByImage) {
  const ArchSpec& arch = arch_by_name("alexnet-torchvision");
  Network net(arch, 10);
  net.init(InitKind::kaiming, 3);
  const int batch = 11;
  Tensor x = Tensor::plain(net.input_shape(batch));
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = std::sin(0.011f * static_cast<float>(i % 100003));
  const Tensor all = to_plain(net.forward(x, Mode::eval));
  for (int n = 0; n < batch; ++n) {
    Tensor one = Tensor::plain(net.input_shape(1));
    std::copy(x.data() + n * one.size(), x.data() + (n + 1) * one.size(), one.data());
    const Tensor& l = net.forward(one, Mode::eval);
    for (int k = 0; k < 10; ++k)
      ASSERT_NEAR(all.data()[n * 10 + k], l.data()[k], 1e-5 * (1 + std::abs(l.data()[k]))) << n << " " << k;
  }
}

TEST(Network, WrongInputShapeIsAUserError) {
  Network net(arch_by_name("alexnet-mini"), 10);
  Tensor x = Tensor::plain({1, 3, 32, 32});
  EXPECT_THROW(net.forward(x, Mode::eval), UserError);
}

// v <- 0.9 v - 0.0005 lr w - lr g ; w <- w + v, computed here independently.
TEST(Sgd, IsThePapersRule) {
  std::vector<float> w{1.f, -2.f, 0.5f}, g{0.1f, 0.2f, -0.3f}, v{0.05f, 0.f, -0.1f};
  std::vector<double> ew(3), ev(3);
  for (int i = 0; i < 3; ++i) {
    ev[i] = 0.9 * v[i] - 0.0005 * 0.01 * w[i] - 0.01 * g[i];
    ew[i] = w[i] + ev[i];
  }
  sgd_step(w.data(), g.data(), v.data(), 3, SgdConfig{0.01f, 0.9f, 5e-4f});
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(v[i], ev[i], 1e-7);
    EXPECT_NEAR(w[i], ew[i], 1e-7);
  }
}

}  // namespace
}  // namespace alexnet

namespace alexnet {
namespace {

// Every convolution, pooling and LRN of the three nets, forward and backward, runs a direct
// JIT kernel in the CPU's blocked layout: none of oneDNN's gemm or reference fallbacks (on
// AVX2 one refused convolution would drag every later layer onto plain-layout kernels,
// pooling 30x slower). CTest runs this under native dispatch and under ONEDNN_MAX_CPU_ISA=AVX2.
TEST(Network, EveryConvPoolAndLrnGetsADirectKernel) {
  if (activation_tag() == tag::any) GTEST_SKIP() << "no AVX2 on this CPU: oneDNN chooses freely";
  for (const char* arch : {"alexnet", "alexnet-torchvision", "alexnet-mini"})
    for (Mode mode : {Mode::eval, Mode::train})
      for (int batch : {1, 16}) {
        Network net(arch_by_name(arch), 10);
        Tensor x = Tensor::plain(net.input_shape(batch));
        std::fill(x.data(), x.data() + x.size(), 0.1f);
        net.forward(x, mode);
        for (const LayerTiming& t : net.timings()) {
          const std::string& layer = t.name;
          const std::string& kernel = t.kernel;
          if (layer.rfind("conv", 0) && layer.rfind("pool", 0) && layer.rfind("norm", 0)) continue;
          SCOPED_TRACE(std::string(arch) + " " + layer + (mode == Mode::train ? " train" : " eval") +
                       " batch " + std::to_string(batch) + ": " + kernel);
          EXPECT_EQ(kernel.find("ref"), std::string::npos);
          EXPECT_EQ(kernel.find("x64:gemm"), std::string::npos);
          EXPECT_EQ(kernel.find("simple"), std::string::npos);
          EXPECT_NE(kernel.find(cpu_isa_name()), std::string::npos);  // jit:avx2, jit_wino_4x3:avx512_core
        }
      }
}

}  // namespace
}  // namespace alexnet

namespace alexnet {
namespace {

// A broken invariant is not the user's mistake: asking a kernel for a pass it does not compute
// throws InternalError (exit 3 in main), saying it is a bug and where, never a UserError.
TEST(Errors, ABrokenInvariantIsAnInternalErrorThatSaysWhere) {
  BlockedLrn lrn(LrnParams{}, 8);
  Tensor t = Tensor::plain({1, 8, 2, 2});
  try {
    lrn.backward_weights(t, t);
    FAIL() << "no error";
  } catch (const UserError&) {
    FAIL() << "a bug reported as the user's mistake";
  } catch (const InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("internal error (a bug) at src/kernels/kernel.cpp:"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace alexnet
