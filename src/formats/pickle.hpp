// A restricted unpickler for PyTorch state dicts, and nothing else. It knows the opcodes that
// `torch.save` writes (protocols 2-5), builds plain values from them, and allows exactly these
// globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2 / _rebuild_parameter and
// the torch.*Storage types. Any other global (os.system, builtins.eval, ...) is a UserError;
// nothing is ever called or executed. Sizes are bounded: the stack, the memo, and nesting depth
// (a deeply nested pickle is refused, not recursed into).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace alexnet {

struct PyValue;
using PyRef = std::shared_ptr<PyValue>;

// A tensor as _rebuild_tensor_v2 describes it: a view into a storage (the zip entry data/KEY).
struct TorchTensorRef {
  std::string storage_key;
  std::string dtype;  // "float32", "float16", "bfloat16", "float64", "int64", ...
  int64_t storage_numel = 0;
  int64_t offset = 0;
  std::vector<int64_t> shape, stride;
};

struct PyValue {
  enum class Kind { none, boolean, integer, floating, string, bytes, tuple, list, dict, global, storage, tensor };
  Kind kind = Kind::none;
  int64_t i = 0;
  double f = 0;
  std::string s;                              // string, bytes; global: "module.name"
  std::vector<PyRef> items;                   // tuple, list
  std::vector<std::pair<PyRef, PyRef>> dict;  // in insertion order
  TorchTensorRef tensor;                      // storage (key, dtype, numel) and tensor
  int depth = 0;                              // nesting depth, bounded
};

// Unpickles `bytes` (the data.pkl of a torch zip); `name` is the file, for errors.
PyRef unpickle_state_dict(const std::string& bytes, const std::string& name);

}  // namespace alexnet
