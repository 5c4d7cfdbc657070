#include "cli/commands.hpp"

namespace alexnet::cli {

int exit_code = 0;

}  // namespace alexnet::cli
