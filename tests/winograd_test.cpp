// Our Winograd F(4x4, 3x3) and F(2x2, 5x5) against oneDNN's direct convolution on the same random data: odd
// sizes (partial tiles), every padding it takes, groups, ReLU, both channel blockings, and
// batches that end in a partial chunk.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "layers/conv.hpp"
#include "kernels/winograd.hpp"
#include "levels.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet {
namespace {

using namespace dnnl;

std::vector<float> random_values(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

struct Case {
  WinogradShape s;
  int64_t batch;
};

// dst (plain NCHW) of oneDNN's direct convolution, computed in plain layouts.
std::vector<float> direct(const Case& c, std::vector<float>& src, std::vector<float>& w, std::vector<float>& b) {
  const WinogradShape& s = c.s;
  const int64_t oh = s.height + 2 * s.pad - s.kernel + 1, ow = s.width + 2 * s.pad - s.kernel + 1;
  const md src_md({c.batch, s.in, s.height, s.width}, dt::f32, tag::nchw);
  const md w_md({s.groups, s.out / s.groups, s.in / s.groups, s.kernel, s.kernel}, dt::f32, tag::goihw);
  const md b_md({s.out}, dt::f32, tag::x), dst_md({c.batch, s.out, oh, ow}, dt::f32, tag::nchw);
  convolution_forward::desc d(prop_kind::forward_inference, algorithm::convolution_direct, src_md, w_md,
                              b_md, dst_md, {1, 1}, {s.pad, s.pad}, {s.pad, s.pad});
  post_ops ops;
  if (s.relu) ops.append_eltwise(1.f, algorithm::eltwise_relu, 0.f, 0.f);
  primitive_attr attr;
  attr.set_post_ops(ops);
  std::vector<float> dst(c.batch * s.out * oh * ow);
  memory sm(src_md, cpu_engine(), src.data()), wm(w_md, cpu_engine(), w.data()), bm(b_md, cpu_engine(), b.data()),
      dm(dst_md, cpu_engine(), dst.data());
  convolution_forward(convolution_forward::primitive_desc(d, attr, cpu_engine()))
      .execute(cpu_stream(), {{DNNL_ARG_SRC, sm}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_BIAS, bm}, {DNNL_ARG_DST, dm}});
  cpu_stream().wait();
  return dst;
}

// The same through Winograd, with the layouts converted by oneDNN's reorders.
std::vector<float> winograd(const Case& c, int block, SimdLevel level, std::vector<float>& src,
                            std::vector<float>& w, std::vector<float>& b) {
  const WinogradShape& s = c.s;
  const int64_t oh = s.height + 2 * s.pad - s.kernel + 1, ow = s.width + 2 * s.pad - s.kernel + 1;
  const tag blocked = block == 8 ? tag::nChw8c : tag::nChw16c;
  memory plain_src(md({c.batch, s.in, s.height, s.width}, dt::f32, tag::nchw), cpu_engine(), src.data());
  memory src_b(md({c.batch, s.in, s.height, s.width}, dt::f32, blocked), cpu_engine());
  memory dst_b(md({c.batch, s.out, oh, ow}, dt::f32, blocked), cpu_engine());
  std::vector<float> dst(c.batch * s.out * oh * ow);
  memory plain_dst(md({c.batch, s.out, oh, ow}, dt::f32, tag::nchw), cpu_engine(), dst.data());
  dnnl::reorder(plain_src, src_b).execute(cpu_stream(), {{DNNL_ARG_FROM, plain_src}, {DNNL_ARG_TO, src_b}});
  Winograd wg(s, block, level);
  wg.prepare(c.batch);
  wg.set_weights(w.data(), b.data());
  wg.forward(static_cast<float*>(src_b.get_data_handle()), static_cast<float*>(dst_b.get_data_handle()), c.batch);
  dnnl::reorder(dst_b, plain_dst).execute(cpu_stream(), {{DNNL_ARG_FROM, dst_b}, {DNNL_ARG_TO, plain_dst}});
  cpu_stream().wait();
  return dst;
}

TEST(Winograd, EqualsTheDirectConvolution) {
  const std::vector<Case> cases = {
      {{16, 32, 13, 13, 3, 1, 1, true}, 20},  // torchvision's conv3-5 shape; chunks of 8, 8, 4 images
      {{32, 32, 9, 7, 3, 1, 2, false}, 3},    // groups; partial tiles in both directions
      {{16, 16, 10, 11, 3, 0, 1, false}, 2},  // no padding: 8x9 outputs
      {{16, 32, 8, 8, 3, 2, 1, true}, 1},     // padding 2: 10x10 outputs
      {{16, 32, 27, 27, 5, 2, 1, true}, 3},   // torchvision's conv2 shape (F(2x2, 5x5))
      {{32, 32, 12, 9, 5, 4, 2, false}, 2},   // padding 4, groups, odd width
      {{16, 16, 7, 8, 5, 0, 1, false}, 1},    // no padding: 3x4 outputs
  };
  for (const Case& c : cases)
    for (int block : {8, 16})
      for (SimdLevel level : test::levels_this_cpu_runs()) {
        if (!Winograd::supports(c.s, block)) continue;
        SCOPED_TRACE(std::string(simd_level_name(level)) + " in " + std::to_string(c.s.in) + " out " +
                     std::to_string(c.s.out) + " " + std::to_string(c.s.height) + "x" + std::to_string(c.s.width) + " kernel " +
                     std::to_string(c.s.kernel) + " pad " +
                     std::to_string(c.s.pad) + " groups " + std::to_string(c.s.groups) + " block " +
                     std::to_string(block));
        auto src = random_values(c.batch * c.s.in * c.s.height * c.s.width, 1);
        auto w = random_values(c.s.out * (c.s.in / c.s.groups) * c.s.kernel * c.s.kernel, 2);
        auto b = random_values(c.s.out, 3);
        const auto want = direct(c, src, w, b), got = winograd(c, block, level, src, w, b);
        double max_ref = 0, max_err = 0;
        for (size_t i = 0; i < want.size(); ++i) {
          max_ref = std::max(max_ref, std::abs(static_cast<double>(want[i])));
          max_err = std::max(max_err, std::abs(static_cast<double>(got[i]) - want[i]));
        }
        EXPECT_GT(max_ref, 1.0);
        EXPECT_LE(max_err, 1e-5 * max_ref) << "max error " << max_err << " of " << max_ref;
      }
}

// dL/dW and dL/db of a convolution, summed in double from plain NCHW input and output gradient.
void weight_grad_reference(const Case& c, const std::vector<float>& src, const std::vector<float>& dy,
                           std::vector<double>& dw, std::vector<double>& db) {
  const WinogradShape& s = c.s;
  const int64_t oh = s.height + 2 * s.pad - s.kernel + 1, ow = s.width + 2 * s.pad - s.kernel + 1;
  const int64_t cg = s.in / s.groups, kg = s.out / s.groups, k = s.kernel;
  dw.assign(s.out * cg * k * k, 0.0);
  db.assign(s.out, 0.0);
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t o = 0; o < s.out; ++o)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          const double g = dy[((n * s.out + o) * oh + y) * ow + x];
          db[o] += g;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t i = 0; i < k; ++i)
              for (int64_t j = 0; j < k; ++j) {
                const int64_t iy = y + i - s.pad, ix = x + j - s.pad;
                if (iy < 0 || ix < 0 || iy >= s.height || ix >= s.width) continue;
                const int64_t ch = (o / kg) * cg + ci;
                dw[((o * cg + ci) * k + i) * k + j] += g * src[((n * s.in + ch) * s.height + iy) * s.width + ix];
              }
        }
}

// Training's weight gradients through Winograd against sums in double. Winograd's are less
// exact than a direct kernel's: the transformed sums cancel in G^T dU G. Measured here, as a
// fraction of the largest gradient: 2-4e-6 for F(4x4, 3x3) and 1e-5 for F(2x2, 5x5), where
// oneDNN's direct kernel is off by 2-5e-7; the PyTorch goldens hold to 1e-4 either way.
TEST(Winograd, WeightGradientsEqualSumsInDouble) {
  const std::vector<Case> cases = {
      {{16, 32, 13, 13, 3, 1, 1, false}, 11},  // chunks of 8 and 3 images: the sum across chunks
      {{32, 32, 9, 7, 3, 1, 2, false}, 3},     // groups; partial tiles in both directions
      {{16, 16, 10, 11, 3, 0, 1, false}, 2},   // no padding
      {{32, 32, 27, 27, 5, 2, 1, false}, 3},   // F(2x2, 5x5)
  };
  for (const Case& c : cases)
    for (int block : {8, 16})
      for (SimdLevel level : test::levels_this_cpu_runs()) {
        if (!Winograd::supports(c.s, block)) continue;
        const WinogradShape& s = c.s;
        SCOPED_TRACE(std::string(simd_level_name(level)) + " kernel " + std::to_string(s.kernel) + " groups " + std::to_string(s.groups) + " pad " +
                     std::to_string(s.pad) + " block " + std::to_string(block));
        const int64_t oh = s.height + 2 * s.pad - s.kernel + 1, ow = s.width + 2 * s.pad - s.kernel + 1;
        const tag blocked = block == 8 ? tag::nChw8c : tag::nChw16c;
        const md src_md({c.batch, s.in, s.height, s.width}, dt::f32, tag::nchw);
        const md dst_md({c.batch, s.out, oh, ow}, dt::f32, tag::nchw);
        auto src = random_values(src_md.get_size() / 4, 11), dy = random_values(dst_md.get_size() / 4, 12);
        std::vector<double> want_w, want_b;
        weight_grad_reference(c, src, dy, want_w, want_b);
        memory sm(src_md, cpu_engine(), src.data()), dm(dst_md, cpu_engine(), dy.data());
        memory sb(md(src_md.dims(), dt::f32, blocked), cpu_engine()), db(md(dst_md.dims(), dt::f32, blocked), cpu_engine());
        dnnl::reorder(sm, sb).execute(cpu_stream(), sm, sb);
        dnnl::reorder(dm, db).execute(cpu_stream(), dm, db);
        cpu_stream().wait();
        std::vector<float> got_w(want_w.size()), got_b(want_b.size());
        Winograd wg(s, block, level);
        wg.prepare(c.batch);
        wg.backward_weights(static_cast<float*>(sb.get_data_handle()), static_cast<float*>(db.get_data_handle()),
                            c.batch, got_w.data(), got_b.data());
        for (const auto& [want, got, tol] : {std::tuple{&want_w, &got_w, 2e-5}, std::tuple{&want_b, &got_b, 1e-6}}) {
          double max_ref = 0, max_err = 0;
          for (size_t i = 0; i < want->size(); ++i) {
            max_ref = std::max(max_ref, std::abs((*want)[i]));
            max_err = std::max(max_err, std::abs((*got)[i] - (*want)[i]));
          }
          EXPECT_GT(max_ref, 1.0);
          EXPECT_LE(max_err, tol * max_ref) << "max error " << max_err << " of " << max_ref;
        }
      }
}

TEST(Winograd, RefusesWhatItCannotDo) {
  EXPECT_FALSE(Winograd::supports({12, 16, 13, 13, 3, 1, 1, false}, 8));   // 12 channels: not whole blocks
  EXPECT_FALSE(Winograd::supports({16, 16, 13, 13, 3, 3, 1, false}, 8));   // padding 3
  EXPECT_FALSE(Winograd::supports({16, 16, 13, 13, 3, 1, 2, false}, 16));  // 8 channels a group
  EXPECT_FALSE(Winograd::supports({16, 16, 13, 13, 3, 1, 1, false}, 4));
  EXPECT_FALSE(Winograd::supports({16, 16, 13, 13, 7, 1, 1, false}, 8));   // 7x7 kernels
  EXPECT_FALSE(Winograd::supports({16, 16, 3, 3, 5, 0, 1, false}, 8));     // smaller than the kernel
  EXPECT_TRUE(Winograd::supports({16, 16, 13, 13, 3, 1, 2, false}, 8));
}

// A layer running Winograd picks up new weights after params_changed (training's evaluation
// between steps), and keeps its transformed weights across batch sizes (a server's batches).
TEST(Winograd, ConvLayerFollowsWeightChangesAndBatchSizes) {
  if (activation_tag() == tag::any) GTEST_SKIP() << "no AVX2 on this CPU: no blocked layout";
  Conv conv("conv3", "w", "b", ConvShape{16, 16, 3, 1, 1, 1, true});
  auto w = random_values(16 * 16 * 9, 4), b = random_values(16, 5);
  conv.params()[0]->value = w.data();
  conv.params()[1]->value = b.data();
  auto run = [&](int64_t batch) {
    const md in_md = activation_md({batch, 16, 13, 13});
    conv.setup(in_md, Mode::eval, false);
    EXPECT_NE(conv.kernel().find("winograd"), std::string::npos) << conv.kernel();
    Tensor in(in_md), out(activation_md({batch, 16, 13, 13}));
    std::fill(in.data(), in.data() + in.size(), 0.5f);
    conv.forward(in, out);
    return std::vector<float>(out.data(), out.data() + out.size());
  };
  const auto first = run(2);
  EXPECT_EQ(run(1), std::vector<float>(first.begin(), first.begin() + first.size() / 2));
  for (float& x : w) x = 0.f;  // every output is now ReLU(its channel's bias)
  conv.params_changed();
  const auto zeroed = run(2);
  const size_t block = activation_tag() == tag::nChw8c ? 8 : 16, blocks = 16 / block;
  for (size_t i = 0; i < zeroed.size(); ++i) {
    const size_t channel = (i / block / 169) % blocks * block + i % block;
    ASSERT_EQ(zeroed[i], std::max(b[channel], 0.f)) << i;
  }
}

// Training's backward-data pass through Winograd (the turned filters, channels swapped within
// each group, padding kernel - 1 - pad) is the adjoint of the forward: for a convolution
// without bias or ReLU, <dL/dx, x> = <dL/dy, W x> for any x and dL/dy. A frozen layer's is the
// same, and it writes no gradient of its own.
TEST(Winograd, BackwardDataIsTheForwardsAdjoint) {
  if (activation_tag() == tag::any) GTEST_SKIP() << "no AVX2 on this CPU: no blocked layout";
  struct Layer {
    ConvShape s;
    int64_t batch, h, w;
  };
  for (const Layer& c : {Layer{{32, 64, 3, 1, 1, 2, false}, 3, 11, 14},  // groups, odd sizes
                         Layer{{32, 16, 3, 1, 0, 1, false}, 2, 13, 12},  // pad 0: turned pad 2
                         Layer{{64, 64, 5, 1, 2, 1, false}, 2, 13, 13}}) {
    Conv conv("conv", "w", "b", c.s);
    auto w = random_values(static_cast<size_t>(c.s.out) * (c.s.in / c.s.groups) * c.s.kernel * c.s.kernel, 6);
    std::vector<float> b(c.s.out, 0.f), dw(w.size()), db(b.size());
    conv.params()[0]->value = w.data();
    conv.params()[0]->grad = dw.data();
    conv.params()[1]->value = b.data();
    conv.params()[1]->grad = db.data();
    const md in_md = activation_md({c.batch, c.s.in, c.h, c.w});
    const md out_md = conv.setup(in_md, Mode::train, true);
    const std::string kernel = conv.kernel();
    EXPECT_NE(kernel.find(" / winograd"), std::string::npos) << kernel;  // backward data
    Tensor x(in_md), y(out_md), dy(out_md), dx(in_md);
    const auto xv = random_values(x.size(), 7), dyv = random_values(dy.size(), 8);
    std::copy(xv.begin(), xv.end(), x.data());
    std::copy(dyv.begin(), dyv.end(), dy.data());
    conv.forward(x, y);
    conv.backward(x, y, dy, dx);
    double lhs = 0, rhs = 0, scale = 0;
    for (int64_t i = 0; i < x.size(); ++i) lhs += static_cast<double>(dx.data()[i]) * x.data()[i];
    for (int64_t i = 0; i < y.size(); ++i) {
      rhs += static_cast<double>(dy.data()[i]) * y.data()[i];
      scale += std::abs(static_cast<double>(dy.data()[i]) * y.data()[i]);
    }
    EXPECT_NEAR(lhs, rhs, 1e-6 * scale) << kernel;

    // Frozen (fine-tuning), the layer passes the same gradient down and leaves its own alone.
    Conv frozen("conv", "w", "b", c.s);
    std::vector<float> untouched_w(w.size(), -7.f), untouched_b(b.size(), -7.f);
    frozen.params()[0]->value = w.data();
    frozen.params()[0]->grad = untouched_w.data();
    frozen.params()[1]->value = b.data();
    frozen.params()[1]->grad = untouched_b.data();
    frozen.set_frozen(true);
    frozen.setup(in_md, Mode::train, true);
    Tensor y2(out_md), dy2(out_md), dx2(in_md);
    std::copy(dyv.begin(), dyv.end(), dy2.data());
    frozen.forward(x, y2);
    frozen.backward(x, y2, dy2, dx2);
    EXPECT_TRUE(std::equal(dx.data(), dx.data() + dx.size(), dx2.data()));
    EXPECT_TRUE(std::all_of(untouched_w.begin(), untouched_w.end(), [](float v) { return v == -7.f; }));
    EXPECT_TRUE(std::all_of(untouched_b.begin(), untouched_b.end(), [](float v) { return v == -7.f; }));
  }
}

}  // namespace
}  // namespace alexnet
