#include "layers/lrn.hpp"

#include "layers/lrn_blocked.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

using namespace dnnl;

// Our kernels (lrn_blocked.hpp) on AVX2's nChw8c, where oneDNN's are 3-4x slower than on
// AVX-512 (alexnet-mini training step 47 -> 42.5 ms; the 2012 net's inference at batch 64
// 276 -> 254 ms). On AVX-512 oneDNN's lrn_jit stays: ours measured as fast in training
// (without its workspace: the 2012 net's peak 2.29 -> 1.81 GB) but 1.25x slower in inference.
md Lrn::setup(const md& in, Mode mode, bool /*need_d_in*/) {
  const dims d = in.dims();
  block_ = 0;
  if (activation_tag() == tag::nChw8c && in == activation_md(d) && lrn_blocked_supports(p_, 8, d[1])) {
    block_ = 8;
    impl_ = std::string("lrn_blocked:") + cpu_isa_name();
    if (mode == Mode::train) impl_ += " / " + impl_;
    return in;
  }
  const prop_kind prop = mode == Mode::train ? prop_kind::forward_training
                                             : prop_kind::forward_inference;
  lrn_forward::primitive_desc fpd(
      lrn_forward::desc(prop, algorithm::lrn_across_channels, in, p_.size, p_.alpha, p_.beta, p_.k),
      cpu_engine());
  fwd_ = lrn_forward(fpd);
  impl_ = fpd.impl_info_str();
  workspace_ = memory();
  if (mode == Mode::train) {
    workspace_ = memory(fpd.workspace_desc(), cpu_engine());
    lrn_backward::primitive_desc bpd(
        lrn_backward::desc(algorithm::lrn_across_channels, in, fpd.dst_desc(), p_.size, p_.alpha,
                           p_.beta, p_.k),
        cpu_engine(), fpd);
    bwd_ = lrn_backward(bpd);
    impl_ += std::string(" / ") + bpd.impl_info_str();
  }
  return fpd.dst_desc();
}

void Lrn::forward(const Tensor& in, const Tensor& out) {
  if (block_) {
    const dims d = in.shape();
    lrn_blocked_forward(p_, block_, in.data(), out.data(), d[0], d[1], d[2] * d[3]);
    return;
  }
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, in.mem()}, {DNNL_ARG_DST, out.mem()}};
  if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
  fwd_.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void Lrn::backward(const Tensor& in, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (d_in.empty()) return;
  if (block_) {
    const dims d = in.shape();
    lrn_blocked_backward(p_, block_, in.data(), d_out.data(), d_in.data(), d[0], d[1], d[2] * d[3]);
    return;
  }
  bwd_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                              {DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_WORKSPACE, workspace_},
                              {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  cpu_stream().wait();
}

}  // namespace alexnet
