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

}  // namespace alexnet
