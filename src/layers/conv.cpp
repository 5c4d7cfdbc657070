#include "layers/conv.hpp"

#include <cstring>

#include "layers/fused_relu.hpp"
#include "tensor/layout.hpp"
#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

Conv::Conv(std::string name, std::string weight_name, std::string bias_name, ConvShape s)
    : Layer(std::move(name)), s_(s) {
  weight_.name = std::move(weight_name);
  weight_.shape = {s.out, s.in / s.groups, s.kernel, s.kernel};
  bias_.name = std::move(bias_name);
  bias_.shape = {s.out};
  bias_.is_bias = true;
}

dims Conv::weight_dims() const {
  if (s_.groups == 1) return weight_.shape;
  return {s_.groups, s_.out / s_.groups, s_.in / s_.groups, s_.kernel, s_.kernel};
}

md Conv::plain_weight_md() const {
  return md(weight_dims(), dt::f32, s_.groups == 1 ? tag::oihw : tag::goihw);
}

// The forward primitive for src (plain or blocked) -> dst in the activation layout, with
// `pad` zeros on each side. Inference lets oneDNN choose the algorithm; training asks for the
// direct one (oneDNN's Winograd buffers took peak memory from 2.28 to 2.49 GB for 10%). Where
// our Winograd applies (setup_winograd) it runs the forward in both modes instead.
convolution_forward::primitive_desc Conv::forward_pd(const md& src, const md& dst, int64_t pad,
                                                     Mode mode, const md& weights) const {
  const dims strides{s_.stride, s_.stride}, p{pad, pad};
  const prop_kind prop = mode == Mode::train ? prop_kind::forward_training
                                             : prop_kind::forward_inference;
  const algorithm algo = mode == Mode::train ? algorithm::convolution_direct : algorithm::convolution_auto;
  convolution_forward::desc fd(prop, algo, src, weights ? weights : any_md(weight_dims()),
                               md({s_.out}, dt::f32, tag::x), dst, strides, p, p);
  return convolution_forward::primitive_desc(fd, relu_post_op(s_.relu), cpu_engine());
}

// The 3x3 and 5x5 stride-1 layers run our Winograd (layers/winograd.hpp) on the blocked
// layouts of AVX2 and AVX-512: the forward in inference and training, and training's two
// backward passes (setup_winograd). Measured against oneDNN 2.6 at batch 64 in inference:
// - 3x3, F(4x4, 3x3): torchvision's conv3-5 2.0x oneDNN's direct kernel on AVX2 (which has
//   no Winograd), 1.15x its AVX-512 Winograd, 1.3x its direct kernel at batch 1; the 2012
//   net's grouped conv4-5, for which oneDNN has no Winograd at all, 2.5x.
// - 5x5, F(2x2, 5x5): torchvision's conv2 (64 input channels) 1.3x on AVX2 and 1.15x on
//   AVX-512; the 2012 net's (48 a group) 1.12x on AVX2 but 0.88x on AVX-512; alexnet-mini's
//   (16 a group) 0.3-0.4x. Hence the channel threshold below.
// Training at batch 128, images/s (the filters transformed again after each step):
//   torchvision's net, AVX2 / native: direct 59.8 / 110.5; Winograd forward 65.4 / 116.4;
//   and backward data 75.2 / 137.9 (with the fc layers' matmul forward); and weight
//   gradients 83-86 / 139-140. The 2012 net: 56.4 / 103.1, 60.8 / 110.8, 70.1 / 117.2, 74.3 /
//   120.7. The weight gradients are less exact than the direct kernel's (winograd_test.cpp).
// Maps under 8x8 (alexnet-mini's 3x3 layers) stay direct: the tiles would be mostly waste.
// Whether our Winograd runs this shape faster than oneDNN's direct kernel (measured above).
static bool winograd_wins(const WinogradShape& ws, int block) {
  // 5x5 tiles give 9 transformed values per output: worth it only with products large
  // enough to hide that, on both sides, and on AVX-512 with larger ones than on AVX2. (The
  // backward data of alexnet-mini's conv2, 32 channels a group in and 16 out, ran 4% slower
  // than oneDNN's direct kernel on AVX2; the 2012 net's, 128 in and 48 out, 8% on AVX-512.)
  const int64_t least = block == 8 ? 32 : 64;
  if (ws.kernel == 5 && (ws.in / ws.groups < least || ws.out / ws.groups < least)) return false;
  if (ws.height + 2 * ws.pad - ws.kernel + 1 < 8) return false;
  return Winograd::supports(ws, block);
}

// Makes (or keeps) `w` for shape `ws` and this batch size.
static void keep_winograd(std::unique_ptr<Winograd>& w, bool& fresh, const WinogradShape& ws, int block,
                          int64_t batch) {
  if (!w || !(w->shape() == ws) || w->block() != block) {
    w = std::make_unique<Winograd>(ws, block);
    fresh = false;
  }
  w->prepare(batch);
}

bool Conv::setup_winograd(const md& in, Mode mode, bool need_d_in) {
  use_winograd_ = use_winograd_bwd_ = false;
  const dims d = in.dims();
  const tag t = activation_tag();
  const int block = t == tag::nChw8c ? 8 : t == tag::nChw16c ? 16 : 0;
  if (s_.stride != 1 || !block || in != activation_md(d)) return false;
  const WinogradShape ws{s_.in, s_.out, d[2], d[3], s_.kernel, s_.pad, s_.groups, s_.relu};
  if (winograd_wins(ws, block)) {
    keep_winograd(winograd_, winograd_fresh_, ws, block, d[0]);
    use_winograd_ = true;
    impl_ = winograd_->impl();
  }
  // The weight gradients use the forward's Winograd (its tiles and transforms) when it runs.
  // The gradient of a stride-1 convolution's input is itself such a convolution: of the
  // output's gradient, with each filter turned by 180 degrees and the roles of the input and
  // output channels swapped (within each group), padded by kernel - 1 - pad.
  const int64_t oh = d[2] + 2 * s_.pad - s_.kernel + 1, ow = d[3] + 2 * s_.pad - s_.kernel + 1;
  const WinogradShape bs{s_.out, s_.in, oh, ow, s_.kernel, s_.kernel - 1 - s_.pad, s_.groups, false};
  if (mode == Mode::train && need_d_in && winograd_wins(bs, block)) {
    keep_winograd(winograd_bwd_, winograd_bwd_fresh_, bs, block, d[0]);
    use_winograd_bwd_ = true;
  }
  return use_winograd_;
}

md Conv::setup(const md& in, Mode mode, bool need_d_in) {
  mode_ = mode;
  need_d_in_ = need_d_in;
  const dims d = in.dims();
  if (d.size() != 4 || d[1] != s_.in)
    fail(name() + ": expected input with " + std::to_string(s_.in) + " channels, got " +
         shape_str(d));
  const int64_t oh = (d[2] + 2 * s_.pad - s_.kernel) / s_.stride + 1;
  const int64_t ow = (d[3] + 2 * s_.pad - s_.kernel) / s_.stride + 1;
  if (oh <= 0 || ow <= 0) fail(name() + ": input " + shape_str(d) + " is smaller than the kernel");
  const dims out{d[0], s_.out, oh, ow}, strides{s_.stride, s_.stride};
  flops_ = 2.0 * numel(out) * (s_.in / s_.groups) * s_.kernel * s_.kernel;
  const md bias_md({s_.out}, dt::f32, tag::x);
  // Training goes on below even with Winograd: the direct forward's description gives the
  // layouts, and oneDNN builds from it whichever backward pass Winograd does not run.
  if (setup_winograd(in, mode, need_d_in) && mode == Mode::eval) return activation_md(out);

  // The direct kernel, writing the CPU's blocked layout. oneDNN's AVX2 kernel refuses
  // torchvision's conv1 (11x11/4 with pad 2) on a plain input and would fall back to gemm
  // (160 against 258 GFLOP/s); the same convolution on an input padded beforehand, pad 0, it
  // takes. So a plain first-layer input is copied into a zero-bordered buffer then.
  md src = in;
  int64_t pad = s_.pad;
  auto fpd = forward_pd(src, activation_md(out), pad, mode);
  pad_src_ = memory();
  padded_runs_.clear();
  if (!impl_is_direct(fpd.impl_info_str()) && pad > 0 && !need_d_in && in == plain_md(d)) {
    // Inference pads a few images at a time (alexnet-torchvision at batch 64: a 5 MB buffer
    // instead of 40); training keeps the whole padded batch, which its backward reads.
    const int64_t chunk = mode == Mode::train ? d[0] : std::min<int64_t>(d[0], 8);
    auto padded_md = [&](int64_t n) { return plain_md({n, d[1], d[2] + 2 * pad, d[3] + 2 * pad}); };
    auto alt = forward_pd(padded_md(d[0]), activation_md(out), 0, mode);
    if (impl_is_direct(alt.impl_info_str())) {
      pad_src_ = memory(padded_md(chunk), cpu_engine());
      std::memset(pad_src_.get_data_handle(), 0, padded_md(chunk).get_size());
      for (int64_t n : {chunk, d[0] % chunk}) {  // full runs, then the rest
        if (n == 0) continue;
        PaddedRun r;
        r.images = n;
        r.in = plain_md({n, d[1], d[2], d[3]});
        r.view = padded_md(n).submemory_desc(r.in.dims(), {0, 0, pad, pad});
        r.pad_in = dnnl::reorder(reorder::primitive_desc(cpu_engine(), r.in, cpu_engine(), r.view));
        // The same weight layout as the whole batch's: one copy serves every run.
        const md dst_md = activation_md({n, s_.out, oh, ow});
        auto pd = n == d[0] ? alt : forward_pd(padded_md(n), dst_md, 0, mode, alt.weights_desc());
        r.dst = pd.dst_desc();
        r.fwd = convolution_forward(pd);
        padded_runs_.push_back(r);
      }
      fpd = alt, src = padded_md(d[0]), pad = 0;
    }
  }
  // No direct kernel at all (a CPU without AVX2, an odd shape): whatever oneDNN prefers.
  if (!impl_is_direct(fpd.impl_info_str())) fpd = forward_pd(src, any_md(out), pad, mode);
  fwd_ = convolution_forward(fpd);
  impl_ = use_winograd_ ? winograd_->impl() : fpd.impl_info_str();
  if (pad_src_) impl_ += " (input padded)";
  const dims p{pad, pad};

  w_plain_ = memory(plain_weight_md(), cpu_engine(), weight_.value);
  // (With Winograd the direct forward only describes the backward: no copy of its weights.)
  w_fwd_ = use_winograd_ ? memory() : copies_.get(w_plain_, fpd.weights_desc());
  bias_mem_ = memory(bias_md, cpu_engine(), bias_.value);
  from_dw_ = dnnl::reorder();

  if (mode == Mode::train) {
    if (use_winograd_bwd_) {
      impl_ += " / " + winograd_bwd_->impl();
    } else if (need_d_in) {
      convolution_backward_data::desc bd(algorithm::convolution_direct, src,
                                         any_md(weight_dims()), fpd.dst_desc(), strides, p, p);
      convolution_backward_data::primitive_desc bpd(bd, cpu_engine(), fpd);
      bwd_data_ = convolution_backward_data(bpd);
      impl_ += std::string(" / ") + bpd.impl_info_str();
      w_bwd_ = copies_.get(w_plain_, bpd.weights_desc());
    }
    if (!frozen_ && use_winograd_) {
      impl_ += " / " + winograd_->impl();
    } else if (!frozen_) {
      convolution_backward_weights::desc wd(algorithm::convolution_direct, src,
                                            any_md(weight_dims()), bias_md, fpd.dst_desc(), strides,
                                            p, p);
      convolution_backward_weights::primitive_desc wpd(wd, cpu_engine(), fpd);
      bwd_weights_ = convolution_backward_weights(wpd);
      impl_ += std::string(" / ") + wpd.impl_info_str();
      dw_plain_ = memory(plain_weight_md(), cpu_engine(), weight_.grad);
      dw_ = wpd.diff_weights_desc() == dw_plain_.get_desc() ? dw_plain_
                                                            : memory(wpd.diff_weights_desc(), cpu_engine());
      if (dw_ != dw_plain_) from_dw_ = dnnl::reorder(dw_, dw_plain_);
      dbias_mem_ = memory(bias_md, cpu_engine(), bias_.grad);
    }
    if (s_.relu) relu_bwd_ = relu_backward_for(fpd.dst_desc());
  }
  return fpd.dst_desc();
}

// The padded first layer: each run of images copied into the zero-bordered buffer, then
// convolved into its place in the output.
void Conv::forward_padded(const Tensor& in, const Tensor& out) {
  auto& st = cpu_stream();
  copies_.refresh(w_plain_, w_fwd_);
  const int64_t batch = in.shape()[0];
  char* src = static_cast<char*>(in.mem().get_data_handle());
  char* dst = static_cast<char*>(out.mem().get_data_handle());
  const size_t in_image = in.desc().get_size() / batch, out_image = out.desc().get_size() / batch;
  for (int64_t first = 0; first < batch;) {
    PaddedRun& r = padded_runs_[batch - first >= padded_runs_[0].images ? 0 : 1];
    memory from(r.in, cpu_engine(), src + first * in_image);
    memory view(r.view, cpu_engine(), pad_src_.get_data_handle());
    memory to(r.dst, cpu_engine(), dst + first * out_image);
    r.pad_in.execute(st, from, view);
    r.fwd.execute(st, {{DNNL_ARG_SRC, pad_src_},
                       {DNNL_ARG_WEIGHTS, w_fwd_},
                       {DNNL_ARG_BIAS, bias_mem_},
                       {DNNL_ARG_DST, to}});
    first += r.images;
  }
  st.wait();
}

void Conv::forward(const Tensor& in, const Tensor& out) {
  if (pad_src_) return forward_padded(in, out);
  if (use_winograd_) {
    if (!winograd_fresh_) winograd_->set_weights(weight_.value, bias_.value);
    winograd_fresh_ = true;
    winograd_->forward(in.data(), out.data(), in.mem().get_desc().dims()[0]);
    return;
  }
  auto& st = cpu_stream();
  copies_.refresh(w_plain_, w_fwd_);
  fwd_.execute(st, {{DNNL_ARG_SRC, in.mem()},
                    {DNNL_ARG_WEIGHTS, w_fwd_},
                    {DNNL_ARG_BIAS, bias_mem_},
                    {DNNL_ARG_DST, out.mem()}});
  st.wait();
}

// The backward-data Winograd's filters: w'[g][i][o][y][x] = w[g][o][i][k-1-y][k-1-x], no bias.
void Conv::set_turned_weights() {
  const int64_t cg = s_.in / s_.groups, kg = s_.out / s_.groups, k = s_.kernel, kk = k * k;
  turned_.resize(static_cast<size_t>(s_.out) * cg * kk);
  for (int64_t g = 0; g < s_.groups; ++g)
    for (int64_t o = 0; o < kg; ++o)
      for (int64_t i = 0; i < cg; ++i) {
        const float* from = weight_.value + ((g * kg + o) * cg + i) * kk;
        float* to = turned_.data() + ((g * cg + i) * kg + o) * kk;
        for (int64_t j = 0; j < kk; ++j) to[j] = from[kk - 1 - j];
      }
  winograd_bwd_->set_weights(turned_.data(), nullptr);
}

void Conv::backward(const Tensor& in, const Tensor& out, const Tensor& d_out, const Tensor& d_in) {
  auto& st = cpu_stream();
  if (frozen_ && d_in.empty()) return;
  if (s_.relu) run_relu_backward(relu_bwd_, out, d_out);
  if (!frozen_ && use_winograd_) {
    winograd_->backward_weights(in.data(), d_out.data(), in.shape()[0], weight_.grad, bias_.grad);
  } else if (!frozen_) {
    bwd_weights_.execute(st, {{DNNL_ARG_SRC, pad_src_ ? pad_src_ : in.mem()},
                              {DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_DIFF_WEIGHTS, dw_},
                              {DNNL_ARG_DIFF_BIAS, dbias_mem_}});
    if (from_dw_) from_dw_.execute(st, dw_, dw_plain_);
  }
  if (!d_in.empty() && use_winograd_bwd_) {
    if (!winograd_bwd_fresh_) set_turned_weights();
    winograd_bwd_fresh_ = true;
    winograd_bwd_->forward(d_out.data(), d_in.data(), d_out.mem().get_desc().dims()[0]);
  } else if (!d_in.empty()) {
    copies_.refresh(w_plain_, w_bwd_);
    bwd_data_.execute(st, {{DNNL_ARG_DIFF_DST, d_out.mem()},
                           {DNNL_ARG_WEIGHTS, w_bwd_},
                           {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  }
  st.wait();
}

}  // namespace alexnet
