// Layer lists as users write them for --freeze and --reinit: "conv1-conv5" (every layer with
// weights from conv1 to conv5, in network order) or "conv1,fc6".
#pragma once
#include <string>
#include <vector>

#include "model/network.hpp"

namespace alexnet {

// `flag` names the list in errors; an unknown layer or a range that runs backwards is a UserError.
std::vector<std::string> expand_layer_list(const Network& net, const std::string& spec, const std::string& flag);

}  // namespace alexnet
