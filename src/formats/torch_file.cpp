#include "formats/torch_file.hpp"

#include <map>

#include "formats/float_convert.hpp"
#include "formats/pickle.hpp"
#include "formats/zip_archive.hpp"
#include "tensor/tensor.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

constexpr uint64_t kMaxPickleBytes = 64u << 20;   // a state dict's data.pkl is a few KB
constexpr int64_t kMaxElements = int64_t{1} << 33;  // 32 GB of float32: more is not a weight

using Kind = PyValue::Kind;

// The legacy format (torch.save before 1.6, or _use_new_zipfile_serialization=False) starts
// with a pickled magic number instead of a zip header.
bool is_legacy_torch(const std::string& b) {
  static const std::string magic("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 14);
  return b.compare(0, magic.size(), magic) == 0;
}

// The dict whose values are tensors: the root, or its "state_dict" / "model" entry.
const PyValue& find_state_dict(const PyValue& root, const std::string& name) {
  if (root.kind != Kind::dict) fail(name + ": holds no dict of tensors (not a state dict)");
  for (const auto& [k, v] : root.dict)
    if (v->kind == Kind::tensor) return root;
  for (const auto& [k, v] : root.dict)
    if (k->kind == Kind::string && (k->s == "state_dict" || k->s == "model") && v->kind == Kind::dict)
      return find_state_dict(*v, name);
  fail(name + ": holds no tensors (a whole pickled model rather than its state_dict? save model.state_dict())");
}

FloatType float_type(const std::string& dtype, const std::string& what) {
  if (dtype == "float32") return FloatType::f32;
  if (dtype == "float16") return FloatType::f16;
  if (dtype == "bfloat16") return FloatType::bf16;
  if (dtype == "float64") return FloatType::f64;
  fail(what + " is " + dtype + "; weights must be floating point");
}

// Copies the view (offset, shape, strides) out of its storage's bytes.
NamedTensor copy_view(const TorchTensorRef& t, const std::string& storage, const std::string& what) {
  const FloatType ft = float_type(t.dtype, what);
  const size_t esize = float_size(ft);
  if (t.storage_numel < 0 || static_cast<uint64_t>(t.storage_numel) * esize > storage.size())
    fail(what + ": its storage holds " + std::to_string(storage.size() / esize) + " elements, not the " +
         std::to_string(t.storage_numel) + " its header claims");
  int64_t numel = 1, last = t.offset;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] < 0 || t.stride[d] < 0) fail(what + ": negative size or stride");
    if (t.shape[d] > 0 && numel > kMaxElements / t.shape[d]) fail(what + ": absurdly large shape");
    numel *= t.shape[d];
    if (t.shape[d] > 0 && t.stride[d] > kMaxElements / t.shape[d]) fail(what + ": absurdly large stride");
    last += (t.shape[d] - 1) * t.stride[d];
  }
  NamedTensor out;
  out.shape = t.shape;
  if (numel == 0) return out;
  if (t.offset < 0 || last >= t.storage_numel)
    fail(what + ": the view (offset " + std::to_string(t.offset) + ", shape " + shape_str(t.shape) +
         ") reaches element " + std::to_string(last) + " of a storage of " + std::to_string(t.storage_numel));
  out.data.resize(static_cast<size_t>(numel));
  // Walk the index space in row-major order; strides map each index to the storage.
  std::vector<int64_t> idx(t.shape.size(), 0);
  int64_t pos = t.offset;
  for (int64_t i = 0; i < numel; ++i) {
    out.data[i] = element_to_float(storage.data() + static_cast<size_t>(pos) * esize, ft);
    for (size_t d = t.shape.size(); d-- > 0;) {
      pos += t.stride[d];
      if (++idx[d] < t.shape[d]) break;
      pos -= t.stride[d] * t.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

}  // namespace

bool is_zip(const std::string& b) { return b.size() >= 4 && b.compare(0, 4, "PK\x03\x04", 4) == 0; }

SafetensorsFile parse_torch_file(const std::string& bytes, const std::string& name) {
  if (is_legacy_torch(bytes))
    fail(name + ": a legacy (pre-1.6) torch.save file; re-save it with PyTorch >= 1.6: "
                "torch.save(torch.load(f), out) writes the zip format read here");
  if (!is_zip(bytes)) fail(name + ": not a PyTorch zip file");
  const ZipArchive zip(bytes, name);
  std::string pkl;
  for (const std::string& n : zip.names())
    if (n.size() >= 8 && n.compare(n.size() - 8, 8, "data.pkl") == 0 && n.find('/') == n.rfind('/')) pkl = n;
  if (pkl.empty()) fail(name + ": a zip without data.pkl (not written by torch.save)");
  const std::string prefix = pkl.substr(0, pkl.size() - 8);
  const PyRef root = unpickle_state_dict(zip.read(pkl, kMaxPickleBytes), name);
  const PyValue& sd = find_state_dict(*root, name);

  SafetensorsFile out;
  std::map<std::string, std::string> storages;  // tensors may share one
  for (const auto& [k, v] : sd.dict) {
    if (k->kind != Kind::string) fail(name + ": a state dict key that is not a string");
    if (v->kind != Kind::tensor) continue;  // e.g. a checkpoint's epoch counter
    std::string key = k->s;
    if (key.rfind("module.", 0) == 0) key = key.substr(7);
    const TorchTensorRef& t = v->tensor;
    const std::string what = name + ": tensor '" + printable(k->s) + "'";
    const std::string entry = prefix + "data/" + t.storage_key;
    if (!zip.has(entry)) fail(what + ": its storage " + printable(entry) + " is missing from the archive");
    auto it = storages.find(t.storage_key);
    if (it == storages.end()) {
      const uint64_t want = static_cast<uint64_t>(std::max<int64_t>(t.storage_numel, 0)) *
                            float_size(float_type(t.dtype, what));
      it = storages.emplace(t.storage_key, zip.read(entry, want)).first;
    }
    out.tensors[key] = copy_view(t, it->second, what);
  }
  if (out.tensors.empty()) fail(name + ": the state dict holds no tensors");
  return out;
}

}  // namespace alexnet
