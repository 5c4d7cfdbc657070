#include "formats/npy.hpp"

#include <cstring>
#include <regex>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

NamedTensor read_npy(const std::string& path) { return parse_npy(read_file(path), path); }

NamedTensor parse_npy(const std::string& b, const std::string& path) {
  if (b.size() < 10 || std::memcmp(b.data(), "\x93NUMPY", 6) != 0)
    fail(path + ": not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(b[6]);
  size_t hlen, hstart;
  if (major == 1) {
    hlen = static_cast<unsigned char>(b[8]) | (static_cast<unsigned char>(b[9]) << 8);
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) fail(path + ": truncated .npy header");
    hlen = 0;
    for (int i = 3; i >= 0; --i) hlen = (hlen << 8) | static_cast<unsigned char>(b[8 + i]);
    hstart = 12;
  } else {
    fail(path + ": unsupported .npy version " + std::to_string(major));
  }
  if (hlen > b.size() - hstart) fail(path + ": .npy header runs past the end of the file");
  const std::string h = b.substr(hstart, hlen);
  std::smatch m;
  if (!std::regex_search(h, m, std::regex("'descr':\\s*'([^']*)'")))
    fail(path + ": .npy header has no dtype");
  if (m[1] != "<f4")
    fail(path + ": dtype " + m[1].str() + " is not supported, expected float32 ('<f4')");
  if (std::regex_search(h, m, std::regex("'fortran_order':\\s*True")))
    fail(path + ": Fortran-ordered arrays are not supported, save with C order");
  if (!std::regex_search(h, m, std::regex("'shape':\\s*\\(([^)]*)\\)")))
    fail(path + ": .npy header has no shape");
  NamedTensor t;
  const std::string dims = m[1];
  std::regex num("\\d+");
  uint64_t count = 1;
  for (auto it = std::sregex_iterator(dims.begin(), dims.end(), num); it != std::sregex_iterator(); ++it) {
    const std::string s = it->str();
    if (s.size() > 12) fail(path + ": absurd dimension " + s);
    const int64_t d = std::stoll(s);
    t.shape.push_back(d);
    count *= static_cast<uint64_t>(d);
    if (count > (uint64_t{1} << 40)) fail(path + ": absurd shape");
  }
  const size_t data_start = hstart + hlen;
  if (b.size() - data_start != count * 4)
    fail(path + ": holds " + std::to_string(b.size() - data_start) + " data bytes, its shape needs " +
         std::to_string(count * 4));
  t.data.resize(count);
  if (count > 0) std::memcpy(t.data.data(), b.data() + data_start, count * 4);  // a (0, 4) array holds nothing
  return t;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const float* data) {
  std::string dims;
  uint64_t count = 1;
  for (int64_t d : shape) dims += std::to_string(d) + ", ", count *= static_cast<uint64_t>(d);
  if (shape.size() > 1) dims.resize(dims.size() - 2);
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  out += h;
  out.append(reinterpret_cast<const char*>(data), count * 4);
  write_file_atomic(path, out);
}

}  // namespace alexnet
