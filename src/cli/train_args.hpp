// `alexnet train`'s flags, parsed from a list of arguments exactly as the command parses them.
// The Python module's alexnet.train() passes its keyword arguments through here, so a flag, its
// default and its checks cannot differ between the two fronts.
#pragma once
#include <string>
#include <vector>

#include "train/plan.hpp"

namespace alexnet::cli {

// {"--data", "DIR", "--epochs", "3", ...} -> the planned run; a UserError for a flag the
// command would refuse.
TrainPlan plan_from_train_args(const std::vector<std::string>& args);

// Every flag of the command, without its dashes ("data", "val-split", "no-pca", ...), and
// whether it is a switch that takes no value.
std::vector<std::pair<std::string, bool>> train_flags();

}  // namespace alexnet::cli
