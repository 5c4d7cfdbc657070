// Helpers shared by the tests that run the command line and need small data sets on disk.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "util/atomic_file.hpp"

namespace alexnet::test {

// A scratch folder of this test process's own: CTest runs every test twice (native and AVX2
// dispatch) and in parallel, so two processes must never share run directories. It is removed
// when the process exits (else a suite run leaves ~15 MB per test process in /tmp), by the
// process that made it only: a forked child that exits must not take it away.
inline std::filesystem::path temp_root() {
  struct Root {
    pid_t owner = ::getpid();
    std::filesystem::path path =
        std::filesystem::temp_directory_path() / ("alexnet_test_" + std::to_string(owner));
    ~Root() {
      std::error_code ignored;
      if (::getpid() == owner) std::filesystem::remove_all(path, ignored);
    }
  };
  static const Root root;
  return root.path;
}

struct Result {
  int code;          // the exit code, or 128 + the signal that ended it
  std::string out;   // stdout and stderr together
};

inline Result run_shell(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  std::array<char, 4096> buf;
  while (fgets(buf.data(), buf.size(), p)) out += buf.data();
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

inline std::string be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX directory (train and t10k splits, identical, not gzipped) of n 28x28 images with
// label i % 10 and pixels pixel(i, p).
inline std::filesystem::path write_idx_dir(const std::filesystem::path& dir, int n,
                                           const std::function<uint8_t(int, int)>& pixel) {
  std::filesystem::create_directories(dir);
  std::string img = be32(0x803) + be32(n) + be32(28) + be32(28), lab = be32(0x801) + be32(n);
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < 28 * 28; ++p) img += static_cast<char>(pixel(i, p));
    lab += static_cast<char>(i % 10);
  }
  for (const char* split : {"train", "t10k"}) {
    write_file_atomic((dir / (std::string(split) + "-images-idx3-ubyte")).string(), img);
    write_file_atomic((dir / (std::string(split) + "-labels-idx1-ubyte")).string(), lab);
  }
  return dir;
}

// 320 textured 28x28 images in 10 classes (label i % 10), as an IDX directory: what the
// command-line tests train on.
inline std::filesystem::path write_textured_idx(const std::filesystem::path& dir) {
  return write_idx_dir(dir, 320, [](int i, int p) {
    return static_cast<uint8_t>(((p % 28) * (i % 10 + 1) + p / 28 * 3 + i) & 0xff);
  });
}

}  // namespace alexnet::test
