// The ReLU that conv and inner product fuse into their forward primitive as a post-op: the
// attribute that asks for it, and its backward, which needs only the layer's output
// (dL/dx = dL/dy where y > 0) and runs in place on the incoming gradient.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>

#include "tensor/tensor.hpp"

namespace alexnet {

dnnl::primitive_attr relu_post_op(bool relu);
dnnl::eltwise_backward relu_backward_for(const md& dst);
void run_relu_backward(const dnnl::eltwise_backward& p, const Tensor& out, const Tensor& d_out);

}  // namespace alexnet
