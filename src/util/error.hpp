// Two kinds of error, kept apart. UserError: everything a user can get wrong (a flag, a file, a
// tensor); the message names the thing at fault, and `main` prints it on one line and exits
// with code 2. InternalError: an invariant of the library broken (a bug, whatever the input);
// `main` says so, with where it was detected, and exits with code 3. Library code throws them
// and never calls exit() or abort().
#pragma once
#include <source_location>
#include <stdexcept>
#include <string>

namespace alexnet {

struct UserError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& msg) { throw UserError(msg); }

struct InternalError : std::logic_error {
  using std::logic_error::logic_error;
};

// A broken invariant: "internal error (a bug) at src/x.cpp:12: what". Nothing a user passes
// may reach this; a test that does has found a bug.
[[noreturn]] inline void internal_error(const std::string& what,
                                        std::source_location at = std::source_location::current()) {
  std::string file = at.file_name();
  if (const size_t src = file.rfind("/src/"); src != std::string::npos) file = file.substr(src + 1);
  throw InternalError("internal error (a bug) at " + file + ":" + std::to_string(at.line()) + ": " + what);
}

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
