#include "kernels/conv_padded.hpp"

#include <cstring>

#include "kernels/conv_direct.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"

namespace alexnet {

using namespace dnnl;

namespace {
md padded_md(const ConvRequest& r, int64_t images) {
  const dims d = r.in.dims();
  const int64_t pad = r.shape.pad;
  return plain_md({images, d[1], d[2] + 2 * pad, d[3] + 2 * pad});
}
}  // namespace

bool PaddedConv::helps(const ConvRequest& r) {
  const dims d = r.in.dims();
  if (r.shape.pad == 0 || r.need_d_in || r.in != plain_md(d)) return false;
  return !DirectConv::has_direct_kernel(r, r.in, r.shape.pad) &&
         DirectConv::has_direct_kernel(r, padded_md(r, d[0]), 0);
}

md PaddedConv::setup(const ConvRequest& r) {
  const dims d = r.in.dims(), out = r.out_dims();
  const int64_t pad = r.shape.pad, chunk = r.training() ? d[0] : std::min<int64_t>(d[0], 8);
  auto whole = conv_forward_pd(r, padded_md(r, d[0]), activation_md(out), 0);
  padded_ = memory(padded_md(r, chunk), cpu_engine());
  std::memset(padded_.get_data_handle(), 0, padded_md(r, chunk).get_size());
  runs_.clear();
  for (int64_t n : {chunk, d[0] % chunk}) {  // full runs, then the rest
    if (n == 0) continue;
    Run run;
    run.images = n;
    run.in = plain_md({n, d[1], d[2], d[3]});
    run.view = padded_md(r, n).submemory_desc(run.in.dims(), {0, 0, pad, pad});
    run.pad_in = dnnl::reorder(dnnl::reorder::primitive_desc(cpu_engine(), run.in, cpu_engine(), run.view));
    // The same weight layout as the whole batch's: one copy serves every run.
    auto pd = n == d[0] ? whole
                        : conv_forward_pd(r, padded_md(r, n), activation_md({n, out[1], out[2], out[3]}), 0,
                                          whole.weights_desc());
    run.dst = pd.dst_desc();
    run.fwd = convolution_forward(pd);
    runs_.push_back(run);
  }
  fwd_impl_ = std::string(whole.impl_info_str()) + " (input padded)";
  w_plain_ = memory(r.plain_weight_md(), cpu_engine(), r.params.weight);
  w_fwd_ = copies_.get(w_plain_, whole.weights_desc());
  bias_ = memory(r.bias_md(), cpu_engine(), r.params.bias);
  if (r.training() && !r.frozen) weight_grad_.setup(r, whole, padded_md(r, d[0]), 0);
  return whole.dst_desc();
}

// Each run of images copied into the zero-bordered buffer, then convolved into its place in
// the output.
void PaddedConv::forward(const Tensor& in, const Tensor& out) {
  auto& st = cpu_stream();
  copies_.refresh(w_plain_, w_fwd_);
  const int64_t batch = in.shape()[0];
  char* src = static_cast<char*>(in.mem().get_data_handle());
  char* dst = static_cast<char*>(out.mem().get_data_handle());
  const size_t in_image = in.desc().get_size() / batch, out_image = out.desc().get_size() / batch;
  for (int64_t first = 0; first < batch;) {
    Run& run = runs_[batch - first >= runs_[0].images ? 0 : 1];
    memory from(run.in, cpu_engine(), src + first * in_image);
    memory view(run.view, cpu_engine(), padded_.get_data_handle());
    memory to(run.dst, cpu_engine(), dst + first * out_image);
    run.pad_in.execute(st, from, view);
    run.fwd.execute(st, {{DNNL_ARG_SRC, padded_},
                         {DNNL_ARG_WEIGHTS, w_fwd_},
                         {DNNL_ARG_BIAS, bias_},
                         {DNNL_ARG_DST, to}});
    first += run.images;
  }
  st.wait();
}

void PaddedConv::backward_weights(const Tensor&, const Tensor& d_out) { weight_grad_.run(padded_, d_out); }

std::string PaddedConv::impl(Pass pass) const {
  return pass == Pass::forward ? fwd_impl_ : weight_grad_.impl();
}

}  // namespace alexnet
