#include "kernels/trial.hpp"

#include <algorithm>

#include "tensor/layout.hpp"

namespace alexnet {

namespace {
void fill(const Tensor& t, uint32_t seed) {
  float* p = t.data();
  const size_t n = t.desc().get_size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) {
    seed = seed * 1664525u + 1013904223u;
    p[i] = static_cast<float>(seed >> 8) * (1.f / 16777216.f) - 0.25f;
  }
}
}  // namespace

int64_t trial_batch(Mode mode, int64_t batch) { return std::min<int64_t>(batch, mode == Mode::train ? 16 : 32); }

md first_images(const md& m, int64_t n) {
  dims d = m.dims();
  if (n >= d[0]) return m;
  d[0] = n;
  return m.submemory_desc(d, dims(d.size(), 0));
}

std::string layout_name(const md& m) {
  const dims d = m.dims();
  if (m == plain_md(d)) return "plain";
  if (d.size() == 4 && m == md(d, dt::f32, tag::nChw8c)) return "blocked8";
  if (d.size() == 4 && m == md(d, dt::f32, tag::nChw16c)) return "blocked16";
  if (d.size() == 4 && m == md(d, dt::f32, tag::nhwc)) return "nhwc";
  return "other";
}

Trial::Trial(const md& in_md, int64_t weights, int64_t biases, bool train) : in(in_md), training(train) {
  fill(in, 1);
  if (!training) return;
  d_in = Tensor(in_md);
  d_weight.resize(weights);
  d_bias.resize(biases);
}

void Trial::set_out(const md& out_md) {
  out = Tensor(out_md);
  if (!training) return;
  d_out = Tensor(out_md);
  fill(d_out, 2);
}

std::function<void()> trial_run(std::shared_ptr<Kernel> k, std::shared_ptr<Trial> t, std::vector<Pass> passes) {
  return [k, t, passes] {
    for (Pass p : passes) {
      if (p == Pass::forward) k->forward(t->in, t->out);
      if (p == Pass::backward_data) k->backward_data(t->in, t->d_out, t->d_in);
      if (p == Pass::backward_weights) k->backward_weights(t->in, t->d_out);
    }
  };
}

}  // namespace alexnet
