// `alexnet --version`: what this binary is and what it will compute with here.
#pragma once
#include <string>

namespace alexnet::cli {

// Several lines: the version; oneDNN's version and the instruction set it dispatches on this
// CPU; the level of the project's own kernels and the levels the binary carries; the compute
// threads it would start. Never throws: what cannot be found out is said so.
std::string version_report();

}  // namespace alexnet::cli
