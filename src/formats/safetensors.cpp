#include "formats/safetensors.hpp"

#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <nlohmann/json.hpp>

#include "formats/float_convert.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet {

using json = nlohmann::json;

namespace {

// The element type a safetensors dtype names, for the ones read (empty for the others).
std::optional<FloatType> float_type(const std::string& dt) {
  if (dt == "F32") return FloatType::f32;
  if (dt == "F16") return FloatType::f16;
  if (dt == "BF16") return FloatType::bf16;
  if (dt == "F64") return FloatType::f64;
  return std::nullopt;
}

}  // namespace

namespace {

std::map<std::string, std::string> metadata_of(const json& e, const std::string& path) {
  if (!e.is_object()) fail(path + ": __metadata__ is not an object");
  std::map<std::string, std::string> out;
  for (auto m = e.begin(); m != e.end(); ++m) {
    if (!m.value().is_string()) fail(path + ": metadata '" + m.key() + "' is not a string");
    out[m.key()] = m.value().get<std::string>();
  }
  return out;
}

// One header entry and its bytes in data[0, data_len); `where` names it in errors.
NamedTensor tensor_of(const json& e, const std::string& where, const char* data, uint64_t data_len) {
  if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets"))
    fail(where + ": entry needs dtype, shape and data_offsets");
  if (!e["dtype"].is_string()) fail(where + ": dtype is not a string");
  const std::string dtype = e["dtype"].get<std::string>();
  const std::optional<FloatType> ft = float_type(dtype);
  const bool byte = dtype == "I8" || dtype == "U8";  // int8 weights, zero points
  if (!ft && !byte) fail(where + ": dtype " + dtype + " is not supported (F32, F16, BF16, F64, I8, U8)");
  const size_t esize = byte ? 1 : float_size(*ft);
  const json& shape = e["shape"];
  const json& offs = e["data_offsets"];
  if (!shape.is_array()) fail(where + ": shape is not an array");
  if (!offs.is_array() || offs.size() != 2 || !offs[0].is_number_unsigned() || !offs[1].is_number_unsigned())
    fail(where + ": data_offsets is not a pair of non-negative integers");
  NamedTensor t;
  t.dtype = dtype;
  uint64_t count = 1;
  for (const json& d : shape) {
    if (!d.is_number_unsigned()) fail(where + ": shape has a non-integer or negative dimension");
    const uint64_t v = d.get<uint64_t>();
    if (v != 0 && count > std::numeric_limits<uint64_t>::max() / 16 / v) fail(where + ": shape is absurdly large");
    count *= v;
    t.shape.push_back(static_cast<int64_t>(v));
  }
  const uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
  if (begin > end || end > data_len)
    fail(where + ": data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) + "] lie outside the " +
         std::to_string(data_len) + " data bytes (truncated file?)");
  if (end - begin != count * esize)
    fail(where + ": data_offsets span " + std::to_string(end - begin) + " bytes but shape and " + dtype + " need " +
         std::to_string(count * esize));
  if (!data) return t;  // the header alone
  t.data.resize(count);
  if (dtype == "I8") for (uint64_t i = 0; i < count; ++i) t.data[i] = static_cast<int8_t>(data[begin + i]);
  else if (dtype == "U8") for (uint64_t i = 0; i < count; ++i) t.data[i] = static_cast<uint8_t>(data[begin + i]);
  else to_float32(data + begin, *ft, count, t.data.data());
  return t;
}

// The header's JSON (after its 8-byte length) against a file of `file_size` bytes; `data`: the
// bytes after the header, or null to read the shapes alone.
SafetensorsFile parse_header(const char* json_begin, uint64_t header_len, uint64_t file_size, const char* data,
                             const std::string& path) {
  json header;
  try {
    header = json::parse(json_begin, json_begin + header_len);
  } catch (const json::exception& e) {
    fail(path + ": header is not valid JSON");
  }
  if (!header.is_object()) fail(path + ": header is not a JSON object");
  const uint64_t data_len = file_size - 8 - header_len;
  SafetensorsFile out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") out.metadata = metadata_of(it.value(), path);
    else out.tensors.emplace(it.key(), tensor_of(it.value(), path + ": tensor '" + it.key() + "'", data, data_len));
  }
  return out;
}

uint64_t header_length(const std::string& first8, uint64_t file_size, const std::string& path) {
  if (file_size < 8)
    fail(path + ": not a safetensors file (" + std::to_string(file_size) + " bytes, shorter than its 8-byte header length)");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<unsigned char>(first8[i]);
  if (header_len > file_size - 8)
    fail(path + ": header length " + std::to_string(header_len) + " runs past the end of the file (" +
         std::to_string(file_size) + " bytes): truncated or not safetensors");
  return header_len;
}

}  // namespace

SafetensorsFile parse_safetensors(const std::string& bytes, const std::string& path) {
  const uint64_t header_len = header_length(bytes.substr(0, 8), bytes.size(), path);
  return parse_header(bytes.data() + 8, header_len, bytes.size(), bytes.data() + 8 + header_len, path);
}

SafetensorsFile read_safetensors_header(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": cannot open");
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  std::string first8(8, '\0');
  in.read(first8.data(), std::min<uint64_t>(8, size));
  const uint64_t header_len = header_length(first8, size, path);
  std::string header(header_len, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_len))) fail(path + ": cannot read its header");
  return parse_header(header.data(), header_len, size, nullptr, path);
}

SafetensorsFile read_safetensors(const std::string& path) { return parse_safetensors(read_file(path), path); }

namespace {
// A tensor's bytes as its dtype stores them.
std::string tensor_bytes(const NamedTensor& t) {
  if (t.dtype == "F32") return std::string(reinterpret_cast<const char*>(t.data.data()), t.data.size() * 4);
  if (t.dtype != "I8" && t.dtype != "U8") internal_error("safetensors: cannot write dtype " + t.dtype);
  std::string out(t.data.size(), '\0');
  for (size_t i = 0; i < t.data.size(); ++i)
    out[i] = t.dtype == "I8" ? static_cast<char>(static_cast<int8_t>(t.data[i]))
                             : static_cast<char>(static_cast<uint8_t>(t.data[i]));
  return out;
}
}  // namespace

std::string serialize_safetensors(const SafetensorsFile& file) {
  json header = json::object();
  uint64_t off = 0;
  for (const auto& [name, t] : file.tensors) {
    const uint64_t n = t.data.size() * (t.dtype == "F32" ? 4 : 1);
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {off, off + n}}};
    off += n;
  }
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  std::string h = json_text(header);
  while ((8 + h.size()) % 8 != 0) h += ' ';  // align the data to 8 bytes, as the reference does
  std::string out(8, '\0');
  const uint64_t len = h.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((len >> (8 * i)) & 0xff);
  out += h;
  out.reserve(out.size() + off);
  for (const auto& [name, t] : file.tensors) out += tensor_bytes(t);
  return out;
}

void write_safetensors(const std::string& path, const SafetensorsFile& file) {
  write_file_atomic(path, serialize_safetensors(file));
}

}  // namespace alexnet
