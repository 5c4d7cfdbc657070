// One exception type for everything a user can get wrong (a flag, a file, a tensor). The
// message names the thing at fault; `main` prints it on one line and exits with code 2.
// Library code throws it and never calls exit() or abort() on user input.
#pragma once
#include <stdexcept>
#include <string>

namespace alexnet {

struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw UserError(msg); }

// A name read from a file, fit for a one-line message: control and non-ASCII bytes as \xNN,
// and at most `max` characters (a hostile file must not write garbage or pages to a terminal).
inline std::string printable(const std::string& s, size_t max = 80) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    if (out.size() >= max) return out + "...";
    if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
  }
  return out;
}

}  // namespace alexnet
