#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/error.hpp"

namespace alexnet {

namespace {
std::string sys_error() { return std::strerror(errno); }
}  // namespace

void write_file_atomic(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(path + ": cannot write: " + sys_error());
  const char* p = bytes.data();
  size_t left = bytes.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      std::string e = sys_error();
      ::close(fd);
      ::unlink(tmp.c_str());
      fail(path + ": write failed: " + e);
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail(path + ": fsync failed: " + sys_error());
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string e = sys_error();
    ::unlink(tmp.c_str());
    fail(path + ": rename failed: " + e);
  }
  // Make the rename itself durable.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

// Sized from the file and read in one go: `stream << rdbuf()` turns a failed allocation or a
// read error into a short string, which a parser then reports as a truncated file (seen under
// `ulimit -v`). Here running out of memory is std::bad_alloc and a short read is an error.
namespace {
std::ifstream open_regular_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) fail(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) fail(path + ": is a directory, expected a file");
  if (!std::filesystem::is_regular_file(path, ec)) fail(path + ": not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path + ": cannot open: " + sys_error());
  return in;
}
}  // namespace

std::string read_file_head(const std::string& path, size_t n) {
  std::ifstream in = open_regular_file(path);
  std::string bytes(n, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(n));
  bytes.resize(static_cast<size_t>(in.gcount()));
  return bytes;
}

std::string read_file(const std::string& path) {
  std::ifstream in = open_regular_file(path);
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0);
  if (size < 0 || !in) fail(path + ": cannot read: " + sys_error());
  std::string bytes(static_cast<size_t>(size), '\0');
  if (!in.read(bytes.data(), size) || in.gcount() != size)
    fail(path + ": read " + std::to_string(in.gcount()) + " of its " + std::to_string(size) + " bytes (" + sys_error() + ")");
  return bytes;
}

}  // namespace alexnet
