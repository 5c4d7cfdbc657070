#include "formats/pickle.hpp"

#include <cstring>
#include <map>

#include "util/error.hpp"

namespace alexnet {

namespace {

constexpr size_t kMaxStack = 1 << 20;  // values on the stack, or items in one container
constexpr size_t kMaxMemo = 1 << 22;
constexpr int kMaxDepth = 64;  // a state dict nests 4 deep

using Kind = PyValue::Kind;

PyRef make(Kind k) {
  auto v = std::make_shared<PyValue>();
  v->kind = k;
  return v;
}

// Storage classes torch.save writes, and the dtype each holds.
const std::map<std::string, std::string>& storage_dtypes() {
  static const std::map<std::string, std::string> m = {
      {"torch.FloatStorage", "float32"}, {"torch.DoubleStorage", "float64"}, {"torch.HalfStorage", "float16"},
      {"torch.BFloat16Storage", "bfloat16"}, {"torch.LongStorage", "int64"}, {"torch.IntStorage", "int32"},
      {"torch.ShortStorage", "int16"}, {"torch.CharStorage", "int8"}, {"torch.ByteStorage", "uint8"},
      {"torch.BoolStorage", "bool"}};
  return m;
}

class Unpickler {
 public:
  Unpickler(const std::string& bytes, const std::string& name) : b_(bytes), name_(name) {}
  PyRef run();

 private:
  [[noreturn]] void bad(const std::string& what) const {
    fail(name_ + ": " + what + " (at byte " + std::to_string(pos_) + " of data.pkl)");
  }
  uint8_t u8() {
    if (pos_ >= b_.size()) bad("the pickle ends early (truncated file?)");
    return static_cast<uint8_t>(b_[pos_++]);
  }
  uint64_t le(int n) {
    uint64_t v = 0;
    for (int k = 0; k < n; ++k) v |= static_cast<uint64_t>(u8()) << (8 * k);
    return v;
  }
  std::string take(uint64_t n) {
    if (n > b_.size() - pos_) bad("a string runs past the end of the pickle (truncated file?)");
    std::string s = b_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::string line() {
    const size_t end = b_.find('\n', pos_);
    if (end == std::string::npos) bad("the pickle ends early (truncated file?)");
    std::string s = b_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return s;
  }
  void push(PyRef v) {
    if (stack_.size() >= kMaxStack) bad("more than a million values on the stack");
    stack_.push_back(std::move(v));
  }
  PyRef pop() {
    if (stack_.size() <= mark_floor()) bad("the pickle pops an empty stack");
    PyRef v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  size_t mark_floor() const { return marks_.empty() ? 0 : marks_.back(); }
  std::vector<PyRef> pop_to_mark() {
    if (marks_.empty()) bad("the pickle closes a MARK it never opened");
    std::vector<PyRef> items(stack_.begin() + static_cast<long>(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  PyRef container(Kind k, std::vector<PyRef> items) {
    PyRef v = make(k);
    for (const PyRef& c : items) adopt(*v, c);
    v->items = std::move(items);
    return v;
  }
  void adopt(PyValue& parent, const PyRef& child) {
    parent.depth = std::max(parent.depth, child->depth + 1);
    if (parent.depth > kMaxDepth) bad("values nested more than " + std::to_string(kMaxDepth) + " deep");
    if (parent.items.size() + parent.dict.size() >= kMaxStack) bad("a container with more than a million items");
  }
  PyRef& top() {
    if (stack_.size() <= mark_floor()) bad("the pickle works on an empty stack");
    return stack_.back();
  }
  void memo_put(uint64_t key) {
    if (memo_.size() >= kMaxMemo && !memo_.count(key)) bad("the memo grows past 4 million entries");
    memo_[key] = top();
  }
  PyRef memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) bad("the pickle refers to memo entry " + std::to_string(key) + ", never stored");
    return it->second;
  }
  void set_items(PyRef& dict, std::vector<PyRef> kv) {
    if (dict->kind != Kind::dict) bad("SETITEM on something that is not a dict");
    if (kv.size() % 2) bad("SETITEMS with an odd number of values");
    for (size_t k = 0; k < kv.size(); k += 2) {
      adopt(*dict, kv[k]);
      adopt(*dict, kv[k + 1]);
      dict->dict.emplace_back(kv[k], kv[k + 1]);
    }
  }
  PyRef global(const std::string& module, const std::string& attr);
  PyRef reduce(const PyRef& callable, const PyRef& args);
  PyRef persistent(const PyRef& pid);

  const std::string& b_;
  const std::string& name_;
  size_t pos_ = 0;
  std::vector<PyRef> stack_;
  std::vector<size_t> marks_;
  std::map<uint64_t, PyRef> memo_;
};

PyRef Unpickler::global(const std::string& module, const std::string& attr) {
  const std::string full = module + "." + attr;
  const bool allowed = full == "collections.OrderedDict" || full == "torch._utils._rebuild_tensor_v2" ||
                       full == "torch._utils._rebuild_parameter" || storage_dtypes().count(full);
  if (!allowed)
    bad("the pickle asks for '" + printable(full) + "', which a state dict never holds; refused (only tensors and " +
        "OrderedDicts are read, nothing is executed)");
  PyRef g = make(Kind::global);
  g->s = full;
  return g;
}

int64_t as_int(const PyRef& v, const std::string& what, const std::string& name) {
  if (v->kind != Kind::integer && v->kind != Kind::boolean) fail(name + ": " + what + " is not an integer");
  return v->i;
}

std::vector<int64_t> as_ints(const PyRef& v, const std::string& what, const std::string& name) {
  if (v->kind != Kind::tuple && v->kind != Kind::list) fail(name + ": " + what + " is not a tuple");
  std::vector<int64_t> out;
  for (const PyRef& x : v->items) out.push_back(as_int(x, what, name));
  return out;
}

PyRef Unpickler::reduce(const PyRef& callable, const PyRef& args) {
  if (callable->kind != Kind::global || args->kind != Kind::tuple) bad("REDUCE of something that is not a known global");
  const std::string& f = callable->s;
  if (f == "collections.OrderedDict") {
    if (!args->items.empty()) bad("OrderedDict built from arguments");
    return make(Kind::dict);
  }
  if (f == "torch._utils._rebuild_parameter") {
    if (args->items.empty() || args->items[0]->kind != Kind::tensor) bad("_rebuild_parameter without a tensor");
    return args->items[0];
  }
  if (f == "torch._utils._rebuild_tensor_v2") {
    if (args->items.size() < 4 || args->items[0]->kind != Kind::storage) bad("_rebuild_tensor_v2 with unexpected arguments");
    PyRef t = make(Kind::tensor);
    t->tensor = args->items[0]->tensor;
    t->tensor.offset = as_int(args->items[1], "a storage offset", name_);
    t->tensor.shape = as_ints(args->items[2], "a tensor size", name_);
    t->tensor.stride = as_ints(args->items[3], "a tensor stride", name_);
    if (t->tensor.shape.size() != t->tensor.stride.size()) bad("a tensor whose size and stride differ in length");
    return t;
  }
  bad("'" + printable(f) + "' cannot be called here");
}

// ('storage', torch.FloatStorage, key, location, numel): a storage, the zip entry data/<key>.
PyRef Unpickler::persistent(const PyRef& pid) {
  if (pid->kind != Kind::tuple || pid->items.size() < 5 || pid->items[0]->s != "storage" ||
      pid->items[1]->kind != Kind::global || pid->items[2]->kind != Kind::string)
    bad("a persistent id that is not a torch storage");
  PyRef s = make(Kind::storage);
  s->tensor.dtype = storage_dtypes().at(pid->items[1]->s);
  s->tensor.storage_key = pid->items[2]->s;
  s->tensor.storage_numel = as_int(pid->items[4], "a storage size", name_);
  return s;
}

PyRef Unpickler::run() {
  for (;;) {
    const uint8_t op = u8();
    switch (op) {
      case 0x80: u8(); break;                          // PROTO
      case 0x95: le(8); break;                         // FRAME (protocol 4+): just a length
      case '.': {                                      // STOP
        PyRef v = pop();
        if (!stack_.empty() || !marks_.empty()) bad("values left on the stack at STOP");
        return v;
      }
      case 'N': push(make(Kind::none)); break;
      case 0x88: case 0x89: {                          // NEWTRUE, NEWFALSE
        PyRef v = make(Kind::boolean);
        v->i = op == 0x88;
        push(v);
        break;
      }
      case 'K': case 'M': case 'J': {                  // BININT1, BININT2, BININT
        PyRef v = make(Kind::integer);
        v->i = op == 'K' ? le(1) : op == 'M' ? le(2) : static_cast<int32_t>(le(4));
        push(v);
        break;
      }
      case 0x8a: {                                     // LONG1
        const uint8_t n = u8();
        if (n > 8) bad("an integer wider than 64 bits");
        uint64_t raw = le(n);
        if (n > 0 && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t{0} << (8 * n);  // sign-extend
        PyRef v = make(Kind::integer);
        v->i = static_cast<int64_t>(raw);
        push(v);
        break;
      }
      case 'G': {                                      // BINFLOAT, big-endian
        uint64_t raw = 0;
        for (int k = 0; k < 8; ++k) raw = raw << 8 | u8();
        PyRef v = make(Kind::floating);
        std::memcpy(&v->f, &raw, 8);
        push(v);
        break;
      }
      case 'X': case 0x8c: case 0x8d: {                // BINUNICODE, SHORT_BINUNICODE, BINUNICODE8
        PyRef v = make(Kind::string);
        v->s = take(le(op == 'X' ? 4 : op == 0x8c ? 1 : 8));
        push(v);
        break;
      }
      case 'B': case 'C': case 0x8e: {                 // BINBYTES, SHORT_BINBYTES, BINBYTES8
        PyRef v = make(Kind::bytes);
        v->s = take(le(op == 'B' ? 4 : op == 'C' ? 1 : 8));
        push(v);
        break;
      }
      case 'c': {                                      // GLOBAL "module\nname\n"
        const std::string module = line();
        push(global(module, line()));
        break;
      }
      case 0x93: {                                     // STACK_GLOBAL
        PyRef attr = pop(), module = pop();
        if (module->kind != Kind::string || attr->kind != Kind::string) bad("STACK_GLOBAL of non-strings");
        push(global(module->s, attr->s));
        break;
      }
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case ')': push(make(Kind::tuple)); break;          // EMPTY_TUPLE
      case 't': push(container(Kind::tuple, pop_to_mark())); break;
      case 0x85: case 0x86: case 0x87: {               // TUPLE1-3
        std::vector<PyRef> items(op - 0x84);
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        push(container(Kind::tuple, std::move(items)));
        break;
      }
      case ']': push(make(Kind::list)); break;          // EMPTY_LIST
      case 'l': push(container(Kind::list, pop_to_mark())); break;
      case 'a': case 'e': {                            // APPEND, APPENDS
        std::vector<PyRef> items = op == 'a' ? std::vector<PyRef>{pop()} : pop_to_mark();
        PyRef& list = top();
        if (list->kind != Kind::list) bad("APPEND to something that is not a list");
        for (PyRef& x : items) adopt(*list, x), list->items.push_back(x);
        break;
      }
      case '}': push(make(Kind::dict)); break;          // EMPTY_DICT
      case 's': {                                      // SETITEM
        PyRef value = pop(), key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {                                      // SETITEMS
        std::vector<PyRef> kv = pop_to_mark();
        set_items(top(), std::move(kv));
        break;
      }
      case 'b': pop(); break;                          // BUILD: an OrderedDict's _metadata; dropped
      case 'R': {                                      // REDUCE
        PyRef args = pop(), callable = pop();
        push(reduce(callable, args));
        break;
      }
      case 'Q': push(persistent(pop())); break;        // BINPERSID
      case 'q': memo_put(le(1)); break;                // BINPUT
      case 'r': memo_put(le(4)); break;                // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;        // MEMOIZE
      case 'h': push(memo_get(le(1))); break;          // BINGET
      case 'j': push(memo_get(le(4))); break;          // LONG_BINGET
      case '0': pop(); break;                          // POP
      case '2': push(top()); break;                    // DUP
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", op);
        bad(std::string("pickle opcode ") + hex + " is not one a state dict uses");
      }
    }
  }
}

}  // namespace

PyRef unpickle_state_dict(const std::string& bytes, const std::string& name) {
  return Unpickler(bytes, name).run();
}

}  // namespace alexnet
