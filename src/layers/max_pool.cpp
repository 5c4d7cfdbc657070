#include "layers/max_pool.hpp"

#include "kernels/choice.hpp"
#include "util/error.hpp"

namespace alexnet {

md MaxPool::setup(const md& in, Mode mode, bool /*need_d_in*/) {
  const dims d = in.dims();
  if (d.size() != 4 || d[2] < p_.kernel || d[3] < p_.kernel)
    fail(name() + ": input " + shape_str(d) + " is smaller than the " + std::to_string(p_.kernel) + "x" +
         std::to_string(p_.kernel) + " window");
  kernels_ = choose_pool_kernels(p_, in, mode);
  impl_ = kernels_.impl();
  chosen_by_ = kernels_.chosen_by;
  return kernels_.out;
}

void MaxPool::forward(const Tensor& in, const Tensor& out) { kernels_.forward->forward(in, out); }

void MaxPool::backward(const Tensor& in, const Tensor&, const Tensor& d_out, const Tensor& d_in) {
  if (!d_in.empty()) kernels_.backward_data->backward_data(in, d_out, d_in);
}

}  // namespace alexnet
