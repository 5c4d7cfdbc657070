// Tensor: a dnnl::memory (descriptor + buffer) with the few helpers the layers need. Inside
// the network tensors keep whatever layout oneDNN chose (e.g. nChw8c); `plain` layouts
// (nchw, nc, x, oihw) are what files and users see, and reorders convert at the edges.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <vector>

namespace alexnet {

using dims = dnnl::memory::dims;
using md = dnnl::memory::desc;
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

md plain_md(const dims& shape);  // f32, row-major (abcd...) for any rank 1..6
md any_md(const dims& shape);    // f32, format chosen by the primitive
int64_t numel(const dims& shape);
std::string shape_str(const dims& shape);

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(const md& desc);                  // owns a new buffer
  Tensor(const md& desc, void* external);           // views a buffer owned elsewhere
  static Tensor plain(const dims& shape) { return Tensor(plain_md(shape)); }

  bool empty() const { return !mem_; }
  float* data() const { return static_cast<float*>(mem_.get_data_handle()); }
  md desc() const { return mem_.get_desc(); }
  dims shape() const { return desc().dims(); }
  int64_t size() const { return numel(shape()); }
  const dnnl::memory& mem() const { return mem_; }

 private:
  dnnl::memory mem_;
};

// Copies src into dst, converting layout (both must describe the same logical shape).
void reorder(const dnnl::memory& src, const dnnl::memory& dst);
// src in its layout -> a new plain tensor.
Tensor to_plain(const Tensor& src);

}  // namespace alexnet
