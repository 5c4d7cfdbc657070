#include "kernels/pool_kernels.hpp"

#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "util/error.hpp"

namespace alexnet {

using namespace dnnl;

dims pool_out_dims(const PoolParams& p, const dims& in) {
  return {in[0], in[1], (in[2] - p.kernel) / p.stride + 1, (in[3] - p.kernel) / p.stride + 1};
}

md OnednnPool::setup(const PoolParams& p, const md& in, Mode mode) {
  const dims k{p.kernel, p.kernel}, s{p.stride, p.stride}, pad{0, 0};
  const prop_kind prop = mode == Mode::train ? prop_kind::forward_training : prop_kind::forward_inference;
  pooling_forward::primitive_desc fpd(
      pooling_forward::desc(prop, algorithm::pooling_max, in, any_md(pool_out_dims(p, in.dims())), s, k, pad, pad),
      cpu_engine());
  fwd_ = pooling_forward(fpd);
  fwd_impl_ = fpd.impl_info_str();
  workspace_ = memory();
  if (mode == Mode::train) {
    workspace_ = memory(fpd.workspace_desc(), cpu_engine());
    pooling_backward::primitive_desc bpd(
        pooling_backward::desc(algorithm::pooling_max, in, fpd.dst_desc(), s, k, pad, pad), cpu_engine(), fpd);
    bwd_ = pooling_backward(bpd);
    bwd_impl_ = bpd.impl_info_str();
  }
  return fpd.dst_desc();
}

void OnednnPool::forward(const Tensor& in, const Tensor& out) {
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, in.mem()}, {DNNL_ARG_DST, out.mem()}};
  if (workspace_) args[DNNL_ARG_WORKSPACE] = workspace_;
  fwd_.execute(cpu_stream(), args);
  cpu_stream().wait();
}

void OnednnPool::backward_data(const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  bwd_.execute(cpu_stream(), {{DNNL_ARG_DIFF_DST, d_out.mem()},
                              {DNNL_ARG_WORKSPACE, workspace_},
                              {DNNL_ARG_DIFF_SRC, d_in.mem()}});
  cpu_stream().wait();
}

namespace {
// One tap byte for each output value.
size_t taps_size(const PoolGeometry& g) { return static_cast<size_t>(g.batch * g.blocks * g.block * g.oh * g.ow); }
}  // namespace

PoolGeometry BlockedPool::geometry(const dims& in) const {
  const dims out = pool_out_dims(p_, in);
  return {in[0], in[1] / block_, in[2], in[3], out[2], out[3], p_.kernel, p_.stride, block_, channels_last_};
}

md BlockedPool::out_md(const md& in) const {
  const tag t = channels_last_ ? tag::nhwc : block_ == 8 ? tag::nChw8c : tag::nChw16c;
  return md(pool_out_dims(p_, in.dims()), dt::f32, t);
}

void BlockedPool::forward(const Tensor& in, const Tensor& out) {
  const PoolGeometry g = geometry(in.shape());
  uint8_t* taps = nullptr;
  if (mode_ == Mode::train) {
    taps_.resize(taps_size(g));
    taps = taps_.data();
  }
  max_pool_blocked_forward(g, in.data(), out.data(), taps);
}

void BlockedPool::backward_data(const Tensor& in, const Tensor& d_out, const Tensor& d_in) {
  const PoolGeometry g = geometry(in.shape());
  if (mode_ != Mode::train || taps_.size() != taps_size(g))
    internal_error("max pooling's backward without a training forward of this batch");
  max_pool_blocked_backward(g, d_out.data(), taps_.data(), d_in.data());
}

std::string BlockedPool::impl(Pass) const { return std::string("pool_blocked:") + simd_kernels()->level; }

bool pool_blocked_supports(const PoolParams& p, int block, const md& in, bool& channels_last) {
  const dims d = in.dims();
  if ((block != 8 && block != 16) || d.size() != 4 || d[1] % block || p.kernel < 1 || p.kernel > 16 || p.stride < 1)
    return false;
  channels_last = in == md(d, dt::f32, tag::nhwc);
  return channels_last || in == md(d, dt::f32, block == 8 ? tag::nChw8c : tag::nChw16c);
}

void max_pool_blocked_forward(const PoolGeometry& g, const float* x, float* y, uint8_t* taps, SimdLevel level) {
  simd_kernels(level)->max_pool_forward(g, x, y, taps);
}

void max_pool_blocked_backward(const PoolGeometry& g, const float* dy, const uint8_t* taps, float* dx,
                               SimdLevel level) {
  simd_kernels(level)->max_pool_backward(g, dy, taps, dx);
}

}  // namespace alexnet
