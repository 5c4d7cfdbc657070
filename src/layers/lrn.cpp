#include "layers/lrn.hpp"

#include "tensor/engine.hpp"

namespace alexnet {

using namespace dnnl;

md Lrn::setup(const md& in, Mode mode, bool /*need_d_in*/) {
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
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, in.mem()}, {DNNL_ARG_DST, out.mem()}};
  if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
  fwd_.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void Lrn::backward(const Tensor& in, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (d_in.empty()) return;
  bwd_.execute(cpu_stream(), {{DNNL_ARG_SRC, in.mem()},
                              {DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_WORKSPACE, workspace_},
                              {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  cpu_stream().wait();
}

}  // namespace alexnet
