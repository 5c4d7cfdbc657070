// A libFuzzer target over one parser of outside bytes. The parser may refuse the bytes with the
// errors a user sees (UserError, DecodeError); anything else (a crash, a sanitizer report, an
// InternalError, another exception) is a finding.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "image/image.hpp"
#include "util/error.hpp"

#define ALEXNET_FUZZ_TARGET(...)                                                \
  extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {     \
    const std::string bytes(reinterpret_cast<const char*>(data), size);        \
    try {                                                                       \
      __VA_ARGS__;                                                              \
    } catch (const alexnet::UserError&) {                                       \
    } catch (const alexnet::DecodeError&) {                                     \
    }                                                                           \
    return 0;                                                                   \
  }

namespace alexnet::fuzz {

// A folder of this process's own, for targets whose parser reads files (a data set, a run).
inline const std::string& scratch_dir() {
  static const std::string dir = [] {
    const auto p = std::filesystem::temp_directory_path() / ("alexnet-fuzz." + std::to_string(getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return dir;
}

inline void write_bytes(const std::string& path, std::string_view bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Two files from one input: its first 4 bytes (little-endian) give the first file's length.
inline std::pair<std::string_view, std::string_view> split_in_two(std::string_view bytes) {
  if (bytes.size() < 4) return {bytes, {}};
  uint32_t n = 0;
  for (int i = 3; i >= 0; --i) n = (n << 8) | static_cast<uint8_t>(bytes[i]);
  bytes.remove_prefix(4);
  n = std::min<uint32_t>(n, static_cast<uint32_t>(bytes.size()));
  return {bytes.substr(0, n), bytes.substr(n)};
}

}  // namespace alexnet::fuzz
