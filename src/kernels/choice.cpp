#include "kernels/choice.hpp"

#include <algorithm>

#include "kernels/conv_direct.hpp"
#include "kernels/conv_int8.hpp"
#include "kernels/conv_padded.hpp"
#include "kernels/conv_winograd.hpp"
#include "kernels/fc_int8.hpp"
#include "kernels/fc_int8_rows.hpp"
#include "kernels/int8_simulated.hpp"
#include "kernels/lrn_blocked.hpp"
#include "kernels/pool_kernels.hpp"
#include "kernels/trial.hpp"
#include "kernels/tuning.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

namespace {

// The table: the choices made before measuring, the prior of every decision and the answer
// under ALEXNET_TUNE=off. Measured with oneDNN 2.6 on 2 vCPUs of an AMD EPYC (Zen 5, KVM),
// natively (AVX-512) and under ONEDNN_MAX_CPU_ISA=AVX2, November 2026, with
// `alexnet bench --layers`, the binaries before and after alternated.
struct Thresholds {
  // Winograd on a 5x5 layer needs at least this many channels a group, in and out, on AVX2
  // (8-channel blocks) and on AVX-512 (16). Its 9 transformed values per output pay only with
  // large products: alexnet-mini's conv2 (16 a group) ran 0.3-0.4x oneDNN's direct forward and
  // its backward data (16 out) lost 4% on AVX2; the 2012 net's conv2 (48) ran 1.12x on AVX2 but
  // 0.88x on AVX-512, and its backward data lost 8% there; torchvision's (64) 1.3x and 1.15x.
  int winograd5x5_group_channels_avx2 = 32;
  int winograd5x5_group_channels_avx512 = 64;
  // Winograd on output maps smaller than this side wastes most of each 4x4 tile: alexnet-mini's
  // 6x6 3x3 layers ran 0.96-1.0x the direct kernel. From 13x13 on it wins: torchvision's conv3-5
  // 2.0x on AVX2 and 1.15x oneDNN's own AVX-512 Winograd, the 2012 net's grouped conv4-5 2.5x.
  int winograd_output_side = 8;
  // Our LRN on the blocked layout runs where oneDNN's block is 8 channels (AVX2): oneDNN's
  // jit:avx2 LRN is 3-4x slower than its AVX-512 one (alexnet-mini's training step 47 ->
  // 42.5 ms). On AVX-512 oneDNN's stays: ours was as fast in training, 1.25x slower in inference.
  int blocked_lrn_block = 8;
  // Our max pooling likewise, where the block is 8 channels: oneDNN 2.6's jit:avx2 pooling
  // took 11.5 ms of alexnet-mini's 124 ms training step in pool1 alone on a Zen 3 (December
  // 2026). Not measured on AVX-512: oneDNN's stays there unless measuring says otherwise.
  int blocked_pool_block = 8;
};
constexpr Thresholds kThresholds;

// 8 or 16 when activations are in the CPU's blocked layout (nChw8c, nChw16c), else 0.
int activation_block() {
  const tag t = activation_tag();
  return t == tag::nChw8c ? 8 : t == tag::nChw16c ? 16 : 0;
}

bool winograd_wins(const WinogradShape& ws, int block) {
  const int64_t least = block == 8 ? kThresholds.winograd5x5_group_channels_avx2
                                   : kThresholds.winograd5x5_group_channels_avx512;
  if (ws.kernel == 5 && (ws.in / ws.groups < least || ws.out / ws.groups < least)) return false;
  return ws.height + 2 * ws.pad - ws.kernel + 1 >= kThresholds.winograd_output_side;
}

// The candidates in the table's order of preference: the first one that applies is its choice.
std::vector<std::string> ordered(std::vector<std::pair<std::string, bool>> table_first) {
  std::vector<std::string> names;
  for (const auto& [name, applies] : table_first)
    if (applies && std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  return names;
}

// The kernel `name` for a layer of quantization q: an f32 kernel on an int8 layer computes the
// int8 rule (kernels/int8_simulated.hpp); the int8 kernels ("int8", "int8_rows") and f32
// layers run as they are.
std::shared_ptr<Kernel> for_layer(std::shared_ptr<Kernel> k, const std::string& name, const md& in, const LayerQuant* q) {
  if (!q || name.rfind("int8", 0) == 0) return k;
  return std::make_shared<SimulatedInt8>(std::move(k), in, *q);
}

std::string conv_signature(const ConvRequest& r) {
  const ConvShape& s = r.shape;
  const dims d = r.in.dims();
  auto n = [](int64_t v) { return std::to_string(v); };
  return "conv " + n(s.in) + "->" + n(s.out) + " k" + n(s.kernel) + " s" + n(s.stride) + " p" + n(s.pad) + " g" +
         n(s.groups) + (s.relu ? " relu" : "") + " on " + n(d[2]) + "x" + n(d[3]) + " " + layout_name(r.in) +
         (r.training() ? std::string(" train") + (r.need_d_in ? " d_in" : "") + (r.frozen ? " frozen" : "") : " infer") +
         (r.quant ? " int8" : "");
}

// A trial of convolution kernel `build` on the first images of r: returns the timed run.
using ConvBuild = std::function<std::shared_ptr<Kernel>(const ConvRequest&, md& out)>;
Candidate conv_candidate(const std::string& name, const ConvRequest& r, std::vector<Pass> passes, ConvBuild build) {
  return {name, [=] {
            ConvRequest t = r;
            t.in = first_images(r.in, trial_batch(r.mode, r.in.dims()[0]));
            auto trial = std::make_shared<Trial>(t.in, numel(r.weight_dims()), r.shape.out, r.training());
            t.params = trial->params(r.params);
            md out;
            auto k = for_layer(build(t, out), name, t.in, r.quant);
            trial->set_out(out);
            return trial_run(k, trial, passes);
          }};
}

// The convolution's candidates. Forward (with the weight gradients in training): our Winograd
// where it applies, the padded first layer where oneDNN's direct kernel refuses the plain
// input, oneDNN's kernel; the table prefers them in that order, Winograd only where its
// thresholds say it wins. oneDNN's kernel is a candidate where it has a direct kernel (its
// output then has the activation layout the others write) or where the table takes it anyway.
std::vector<Candidate> conv_forward_candidates(const ConvRequest& r, int block, bool winograd_ok) {
  const bool weights = r.training() && !r.frozen;
  const bool wf = winograd_ok && Winograd::supports(r.winograd_forward(), block);
  const bool table_winograd = wf && winograd_wins(r.winograd_forward(), block), padded = PaddedConv::helps(r);
  const bool onednn = (!table_winograd && !padded) || DirectConv::has_direct_kernel(r, r.in, r.shape.pad);
  std::vector<Pass> passes{Pass::forward};
  if (weights) passes.push_back(Pass::backward_weights);
  std::vector<Candidate> forward;
  // An int8 layer: the table takes the int8 kernel; the f32 ones compute the same rule where
  // they measure faster (kernels/int8_simulated.hpp).
  if (r.quant && !r.training())
    forward.push_back(conv_candidate("int8", r, passes, [](const ConvRequest& t, md& out) -> std::shared_ptr<Kernel> {
      auto k = std::make_shared<Int8Conv>();
      out = k->setup(t);
      return k;
    }));
  for (const auto& name : ordered({{"winograd", table_winograd}, {"padded", padded}, {"onednn", onednn}, {"winograd", wf}}))
    forward.push_back(conv_candidate(name, r, passes, [name, block, weights](const ConvRequest& t, md& out) -> std::shared_ptr<Kernel> {
      if (name == "winograd") { auto k = std::make_shared<WinogradConv>(); out = k->setup(t, block); return k; }
      if (name == "padded") { auto k = std::make_shared<PaddedConv>(); out = k->setup(t); return k; }
      auto k = std::make_shared<DirectConv>();
      out = k->setup(t, {true, false, weights});
      return k;
    }));
  return forward;
}

// The backward data: Winograd on the turned filters where it applies, or oneDNN's direct kernel.
std::vector<Candidate> conv_data_candidates(const ConvRequest& r, int block, bool winograd_ok) {
  const bool wd = winograd_ok && Winograd::supports(r.winograd_backward_data(), block);
  std::vector<Candidate> backward;
  for (const auto& name : ordered({{"winograd", wd && winograd_wins(r.winograd_backward_data(), block)},
                                   {"onednn", true}, {"winograd", wd}}))
    backward.push_back(conv_candidate(name, r, {Pass::backward_data}, [name, block](const ConvRequest& t, md& out) -> std::shared_ptr<Kernel> {
      if (name == "winograd") { auto k = std::make_shared<WinogradConvData>(); k->setup(t, block); out = activation_md(t.out_dims()); return k; }
      auto k = std::make_shared<DirectConv>();
      out = k->setup(t, {false, true, false});
      return k;
    }));
  return backward;
}

}  // namespace

// The weight gradients go with the forward's kernel (Winograd's tiles, the padded input); the
// passes left to oneDNN's direct kernel share one (its forward descriptor serves them all).
Kernels choose_conv_kernels(const ConvRequest& r, const Kernels& before) {
  const int block = activation_block();
  const bool winograd_ok = block && r.shape.stride == 1 && r.in == activation_md(r.in.dims());
  const bool weights = r.training() && !r.frozen, data = r.training() && r.need_d_in;
  const std::string sig = conv_signature(r);
  const Choice f = choose_kernel({sig + " forward", r.in.dims()[0]}, conv_forward_candidates(r, block, winograd_ok));
  Kernels k;
  k.chosen_by = "forward " + std::string(choice_source_name(f.source));
  DirectConv::Passes direct{f.kernel == "onednn", false, weights && f.kernel == "onednn"};
  if (f.kernel == "int8") {
    auto q = before.kept<Int8Conv>();
    k.out = q->setup(r);
    k.forward = q;
  } else if (f.kernel == "winograd") {
    auto w = before.kept<WinogradConv>();
    k.out = w->setup(r, block);
    k.forward = w;
  } else if (f.kernel == "padded") {
    auto p = before.kept<PaddedConv>();
    k.out = p->setup(r);
    k.forward = p;
  }
  if (weights && !direct.weights) k.backward_weights = k.forward;
  if (data) {
    const Choice b = choose_kernel({sig + " backward-data", r.in.dims()[0]}, conv_data_candidates(r, block, winograd_ok));
    k.chosen_by += ", backward data " + std::string(choice_source_name(b.source));
    direct.data = b.kernel == "onednn";
    if (b.kernel == "winograd") {
      auto w = before.kept<WinogradConvData>();
      w->setup(r, block);
      k.backward_data = w;
    }
  }
  if (direct.forward || direct.data || direct.weights) {
    auto d = before.kept<DirectConv>();
    const md out = d->setup(r, direct);
    if (direct.forward) k.out = out, k.forward = d;
    if (direct.data) k.backward_data = d;
    if (direct.weights) k.backward_weights = d;
  }
  k.forward = for_layer(k.forward, f.kernel, r.in, r.quant);
  return k;
}

namespace {

std::string fc_signature(const FcRequest& r) {
  return "fc " + std::to_string(r.in) + "->" + std::to_string(r.out) + (r.relu ? " relu" : "") +
         (r.mode == Mode::train ? std::string(" train") + (r.need_d_in ? " d_in" : "") + (r.frozen ? " frozen" : "")
                                : " infer") +
         (r.quant ? " int8" : "");
}

// A trial of the forward of fc kernel `build` (given the request at the trial's batch).
Candidate fc_candidate(const std::string& name, const FcRequest& r,
                       std::function<std::shared_ptr<Kernel>(const FcRequest&)> build) {
  return {name, [=] {
            FcRequest t = r;
            t.batch = trial_batch(r.mode, r.batch);
            t.inference_only = false;  // the layer's plain weights stay: other trials read them
            auto trial = std::make_shared<Trial>(plain_md({t.batch, r.in}), int64_t(r.in) * r.out, r.out,
                                                 r.mode == Mode::train);
            t.params = trial->params(r.params);
            auto k = for_layer(build(t), name, plain_md({t.batch, r.in}), r.quant);
            trial->set_out(plain_md({t.batch, r.out}));
            return trial_run(k, trial, {Pass::forward});
          }};
}

// Inference: the inner product on oneDNN's blocked weights or on the plain ones, or the matmul. Training's
// forward: the matmul or the inner product.
std::vector<Candidate> fc_candidates(const FcRequest& r) {
  const bool rows = r.quant && r.batch <= Int8RowsFc::kMaxBatch;
  const auto names = r.mode == Mode::eval
                         ? ordered({{"int8_rows", rows && r.batch <= 2}, {"int8", r.quant != nullptr}, {"int8_rows", rows}, {"blocked", !InnerProductFc::runs_gemm(r, true)}, {"plain", true}, {"blocked", true},
                                    {"matmul", true}})
                         : ordered({{"matmul", !MatmulFcForward::runs_gemm(r)}, {"inner_product", true}, {"matmul", true}});
  std::vector<Candidate> candidates;
  for (const auto& name : names)
    candidates.push_back(fc_candidate(name, r, [name](FcRequest t) -> std::shared_ptr<Kernel> {
      if (name == "int8") { auto q = std::make_shared<Int8Fc>(); q->setup(t); return q; }
      if (name == "int8_rows") { auto q = std::make_shared<Int8RowsFc>(); q->setup(t); return q; }
      if (name == "matmul") { auto mm = std::make_shared<MatmulFcForward>(); mm->setup(t); return mm; }
      t.blocked_weights = name == "blocked";  // "plain" and training's "inner_product": the plain weights
      auto ip = std::make_shared<InnerProductFc>();
      ip->setup(t);
      return ip;
    }));
  return candidates;
}

}  // namespace

// Inference: oneDNN's inner product on the weights' blocked layout (brgemm on AVX-512: 2.5x at
// batch 64, 1.1x at batch 1 for alexnet-torchvision) unless it would run gemm there anyway
// (AVX2), where gemm reads the plain weights as fast and no copy is held; or the matmul on the
// plain weights read as [in, out] (on AVX2 gemm runs torchvision's fc6 at batch 16 twice as
// fast as on [out, in]: 25 against 50 ms on a Zen 3), where measured faster. Training's forward:
// the matmul on the plain weights read as [in, out] (brgemm on AVX-512: torchvision's fc6 at
// batch 128 in 22 ms instead of the inner product's 45), unless it lands on gemm too. The
// backward passes run on the inner product.
Kernels choose_fc_kernels(FcRequest r, const Kernels& before) {
  Kernels k;
  auto ip = before.kept<InnerProductFc>();
  if (ip->plain_released()) {  // an inference-only layer keeps the layout of its first setup
    r.blocked_weights = ip->reads_blocked();
    ip->setup(r);
    k.forward = ip;
    k.out = plain_md({r.batch, r.out});
    k.chosen_by = "kept: the plain weights are given back";
    return k;
  }
  const Choice c = choose_kernel({fc_signature(r), r.batch}, fc_candidates(r));
  k.chosen_by = choice_source_name(c.source);
  k.out = plain_md({r.batch, r.out});
  if (c.kernel == "int8") {
    auto q = before.kept<Int8Fc>();
    q->setup(r);
    k.forward = q;
    return k;
  }
  if (c.kernel == "int8_rows") {
    auto q = before.kept<Int8RowsFc>();
    q->setup(r);
    k.forward = q;
    return k;
  }
  if (c.kernel == "matmul") {
    auto mm = before.kept<MatmulFcForward>();
    mm->setup(r);
    k.forward = mm;
  }
  if (c.kernel != "matmul" || r.mode == Mode::train) {
    r.blocked_weights = c.kernel == "blocked";
    ip->setup(r);
    if (!k.forward) k.forward = ip;
    if (r.mode == Mode::train && r.need_d_in) k.backward_data = ip;
    if (r.mode == Mode::train && !r.frozen) k.backward_weights = ip;
  }
  k.forward = for_layer(k.forward, c.kernel, plain_md({r.batch, r.in}), r.quant);
  return k;
}

namespace {

// The candidates of a layer without parameters (LRN, pooling), in the table's order: each a
// trial of `build`'s kernel on the first images of `in`, its forward and, in training, its
// backward (both passes run on one kernel).
using PassesBuild = std::function<std::shared_ptr<Kernel>(const std::string& name, const md& in, md& out)>;
std::vector<Candidate> both_pass_candidates(const std::vector<std::string>& names, const md& in, Mode mode,
                                            PassesBuild build) {
  std::vector<Pass> passes{Pass::forward};
  if (mode == Mode::train) passes.push_back(Pass::backward_data);
  std::vector<Candidate> candidates;
  for (const auto& name : names)
    candidates.push_back({name, [=] {
                            const md t = first_images(in, trial_batch(mode, in.dims()[0]));
                            auto trial = std::make_shared<Trial>(t, 0, 0, mode == Mode::train);
                            md out;
                            auto k = build(name, t, out);
                            trial->set_out(out);
                            return trial_run(k, trial, passes);
                          }});
  return candidates;
}

}  // namespace

// Ours on the blocked layout where it computes this LRN (the table: where the block is 8
// channels), or oneDNN's; each kernel runs both passes.
Kernels choose_lrn_kernels(const LrnParams& p, const md& in, Mode mode, const Kernels& before) {
  const int block = activation_block();
  const dims d = in.dims();
  const bool ours = block && in == activation_md(d) && lrn_blocked_supports(p, block, d[1]);
  auto build = [=](const std::string& name, const md& t, md& out) -> std::shared_ptr<Kernel> {
    if (name == "blocked") {
      out = t;
      return std::make_shared<BlockedLrn>(p, block);
    }
    auto o = std::make_shared<OnednnLrn>();
    out = o->setup(p, t, mode);
    return o;
  };
  const auto names = ordered({{"blocked", ours && block == kThresholds.blocked_lrn_block}, {"onednn", true}, {"blocked", ours}});
  const std::string sig = "lrn " + std::to_string(d[1]) + " on " + std::to_string(d[2]) + "x" + std::to_string(d[3]) +
                          " " + layout_name(in) + (mode == Mode::train ? " train" : " infer");
  const Choice c = choose_kernel({sig, d[0]}, both_pass_candidates(names, in, mode, build));
  Kernels k;
  k.chosen_by = choice_source_name(c.source);
  if (c.kernel == "blocked") {
    k.forward = build(c.kernel, in, k.out);
  } else {
    auto o = before.kept<OnednnLrn>();
    k.out = o->setup(p, in, mode);
    k.forward = o;
  }
  if (mode == Mode::train) k.backward_data = k.forward;
  return k;
}

// Ours on the blocked layout or nhwc where it computes this pooling (the table: where the
// block is 8 channels), or oneDNN's; each kernel runs both passes. Neither holds state worth
// keeping across batch sizes.
Kernels choose_pool_kernels(const PoolParams& p, const md& in, Mode mode) {
  const int block = activation_block();
  const dims d = in.dims();
  bool channels_last = false;
  const bool ours = block && pool_blocked_supports(p, block, in, channels_last);
  auto build = [=](const std::string& name, const md& t, md& out) -> std::shared_ptr<Kernel> {
    if (name == "blocked") {
      auto k = std::make_shared<BlockedPool>(p, block, channels_last, mode);
      out = k->out_md(t);
      return k;
    }
    auto o = std::make_shared<OnednnPool>();
    out = o->setup(p, t, mode);
    return o;
  };
  const auto names = ordered({{"blocked", ours && block == kThresholds.blocked_pool_block}, {"onednn", true}, {"blocked", ours}});
  const std::string sig = "maxpool " + std::to_string(p.kernel) + "/" + std::to_string(p.stride) + " " +
                          std::to_string(d[1]) + " on " + std::to_string(d[2]) + "x" + std::to_string(d[3]) + " " +
                          layout_name(in) + (mode == Mode::train ? " train" : " infer");
  const Choice c = choose_kernel({sig, d[0]}, both_pass_candidates(names, in, mode, build));
  Kernels k;
  k.chosen_by = choice_source_name(c.source);
  k.forward = build(c.kernel, in, k.out);
  if (mode == Mode::train) k.backward_data = k.forward;
  return k;
}

}  // namespace alexnet
