// Lines for `--verbose`: what the program decided quietly (a cache ignored, a kernel measured),
// on stderr, only when asked for. The command line or ALEXNET_VERBOSE=1 turns them on.
#pragma once
#include <string>

namespace alexnet {

void set_verbose(bool on);
bool verbose();
void verbose_line(const std::string& line);  // "alexnet: <line>" on stderr when verbose

}  // namespace alexnet
