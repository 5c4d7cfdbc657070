#include "layers/max_pool.hpp"

#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

md MaxPool::setup(const md& in, Mode mode, bool /*need_d_in*/) {
  const dims d = in.dims();
  if (d.size() != 4 || d[2] < kernel_ || d[3] < kernel_)
    fail(name() + ": input " + shape_str(d) + " is smaller than the " + std::to_string(kernel_) +
         "x" + std::to_string(kernel_) + " window");
  const dims out{d[0], d[1], (d[2] - kernel_) / stride_ + 1, (d[3] - kernel_) / stride_ + 1};
  const dims k{kernel_, kernel_}, s{stride_, stride_}, p{0, 0};
  const prop_kind prop = mode == Mode::train ? prop_kind::forward_training
                                             : prop_kind::forward_inference;
  pooling_forward::primitive_desc fpd(
      pooling_forward::desc(prop, algorithm::pooling_max, in, any_md(out), s, k, p, p),
      cpu_engine());
  fwd_ = pooling_forward(fpd);
  impl_ = fpd.impl_info_str();
  workspace_ = memory();
  if (mode == Mode::train) {
    workspace_ = memory(fpd.workspace_desc(), cpu_engine());
    pooling_backward::primitive_desc bpd(
        pooling_backward::desc(algorithm::pooling_max, in, fpd.dst_desc(), s, k, p, p), cpu_engine(), fpd);
    bwd_ = pooling_backward(bpd);
    impl_ += std::string(" / ") + bpd.impl_info_str();
  }
  return fpd.dst_desc();
}

void MaxPool::forward(const Tensor& in, const Tensor& out) {
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, in.mem()}, {DNNL_ARG_DST, out.mem()}};
  if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
  fwd_.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void MaxPool::backward(const Tensor&, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (d_in.empty()) return;
  bwd_.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_WORKSPACE, workspace_},
                              {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  cpu_stream().wait();
}

}  // namespace alexnet
