#include "kernels/lrn_kernels.hpp"

#include "kernels/lrn_blocked.hpp"
#include "kernels/simd/simd_kernels.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

using namespace dnnl;

md OnednnLrn::setup(const LrnParams& p, const md& in, Mode mode) {
  const prop_kind prop = mode == Mode::train ? prop_kind::forward_training : prop_kind::forward_inference;
  lrn_forward::primitive_desc fpd(
      lrn_forward::desc(prop, algorithm::lrn_across_channels, in, p.size, p.alpha, p.beta, p.k), cpu_engine());
  fwd_ = lrn_forward(fpd);
  fwd_impl_ = fpd.impl_info_str();
  workspace_ = memory();
  if (mode == Mode::train) {
    workspace_ = memory(fpd.workspace_desc(), cpu_engine());
    lrn_backward::primitive_desc bpd(
        lrn_backward::desc(algorithm::lrn_across_channels, in, fpd.dst_desc(), p.size, p.alpha, p.beta, p.k),
        cpu_engine(), fpd);
    bwd_ = lrn_backward(bpd);
    bwd_impl_ = bpd.impl_info_str();
  }
  return fpd.dst_desc();
}

void OnednnLrn::forward(const Tensor& in, const Tensor& out) {
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, in.mem()}, {DNNL_ARG_DST, out.mem()}};
  if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
  fwd_.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void OnednnLrn::backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) {
  bwd_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                              {DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_WORKSPACE, workspace_},
                              {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  cpu_stream().wait();
}

void BlockedLrn::forward(const Tensor& in, const Tensor& out) {
  const dims d = in.shape();
  lrn_blocked_forward(p_, block_, in.data(), out.data(), d[0], d[1], d[2] * d[3]);
}

void BlockedLrn::backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) {
  const dims d = in.shape();
  lrn_blocked_backward(p_, block_, in.data(), d_out.data(), d_in.data(), d[0], d[1], d[2] * d[3]);
}

std::string BlockedLrn::impl(Pass) const { return std::string("lrn_blocked:") + simd_kernels()->level; }

}  // namespace alexnet
