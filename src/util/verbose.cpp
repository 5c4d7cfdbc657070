#include "util/verbose.hpp"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace alexnet {

namespace {
std::atomic<int>& state() {  // -1: not decided yet (the variable is read on first use)
  static std::atomic<int> s{-1};
  return s;
}
}  // namespace

void set_verbose(bool on) { state() = on ? 1 : 0; }

bool verbose() {
  if (state() < 0) {
    const char* v = std::getenv("ALEXNET_VERBOSE");
    state() = v && *v && std::strcmp(v, "0") != 0 ? 1 : 0;
  }
  return state() == 1;
}

void verbose_line(const std::string& line) {
  if (verbose()) std::fprintf(stderr, "alexnet: %s\n", line.c_str());
}

}  // namespace alexnet
