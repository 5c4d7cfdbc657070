#include "kernels/weight_copies.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "tensor/engine.hpp"
#include "tensor/huge_pages.hpp"

namespace alexnet {

namespace {
// Returns the whole pages inside [p, p + bytes) to the system (they read as zeros afterwards),
// and where the released range ends: p when none was whole.
char* release_pages(char* p, size_t bytes) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) / page * page;
  if (end <= begin) return p;
  madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  return reinterpret_cast<char*>(end);
}
}  // namespace

dnnl::memory WeightCopies::get(const dnnl::memory& plain, const md& desc) {
  if (desc == plain.get_desc()) return plain;
  for (const Copy& c : copies_)
    if (c.mem.get_desc() == desc) return c.mem;
  // The primitive that used a dropped copy holds its own reference, so dropping is safe.
  if (copies_.size() == kMaxCopies) copies_.erase(copies_.begin());
  Copy c;
  c.buffer = std::shared_ptr<void>(huge_alloc(desc.get_size()), FreeBuffer());  // fc6: 151 MB
  c.mem = dnnl::memory(desc, cpu_engine(), c.buffer.get());
  c.from_plain = dnnl::reorder(plain, c.mem);
  copies_.push_back(c);
  return c.mem;
}

void WeightCopies::refresh(const dnnl::memory& plain, const dnnl::memory& copy) {
  for (Copy& c : copies_) {
    if (c.mem.get() != copy.get()) continue;
    if (!c.fresh) c.from_plain.execute(cpu_stream(), const_cast<dnnl::memory&>(plain), c.mem);
    c.fresh = true;
    return;
  }
}

void WeightCopies::stale() {
  for (Copy& c : copies_) c.fresh = false;
}

void WeightCopies::refresh_releasing(const dnnl::memory& plain, const dnnl::memory& copy) {
  Copy* c = nullptr;
  for (Copy& k : copies_)
    if (k.mem.get() == copy.get()) c = &k;
  if (!c || c->fresh) return;
  const md pd = plain.get_desc(), cd = copy.get_desc();
  const dims d = pd.dims();
  // Rows per block: a multiple of the copy's blocking of dimension 0, about 4 MB of weights.
  const auto& blocking = cd.data.format_desc.blocking;
  int64_t row_block = 1;
  for (int i = 0; i < blocking.inner_nblks; ++i)
    if (blocking.inner_idxs[i] == 0) row_block *= blocking.inner_blks[i];
  const int64_t rows = std::max<int64_t>(1, (1 << 20) / d[1] / row_block) * row_block;
  const int64_t block_stride = blocking.strides[0];  // floats of the copy from a row block to the next
  if (block_stride < blocking.strides[1]) {  // rows are not the outer dimension: one piece
    refresh(plain, copy);
    release_pages(static_cast<char*>(plain.get_data_handle()), pd.get_size());
    return;
  }
  char* base = static_cast<char*>(plain.get_data_handle());
  char* released = base;  // the plain pages before this are given back
  char* out = static_cast<char*>(copy.get_data_handle());
  const size_t row_bytes = sizeof(float) * static_cast<size_t>(d[1]);
  auto offset = [&](int64_t row) { return sizeof(float) * static_cast<size_t>(row / row_block * block_stride); };
  for (int64_t r0 = 0; r0 < d[0]; r0 += rows) {
    const dims part{std::min(rows, d[0] - r0), d[1]}, at{r0, 0};
    // This block's bytes of the copy are zeroed first: the padding of a last, partial row
    // block must read as zeros.
    const size_t begin = offset(r0), end = r0 + rows >= d[0] ? cd.get_size() : offset(r0 + rows);
    std::memset(out + begin, 0, end - begin);
    dnnl::memory from(pd.submemory_desc(part, at), cpu_engine(), plain.get_data_handle());
    dnnl::memory to(cd.submemory_desc(part, at), cpu_engine(), copy.get_data_handle());
    dnnl::reorder(from, to).execute(cpu_stream(), from, to);
    released = release_pages(released, base + row_bytes * static_cast<size_t>(r0 + part[0]) - released);
  }
  cpu_stream().wait();
  c->fresh = true;
}

}  // namespace alexnet
