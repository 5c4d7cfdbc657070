#include "train/layer_list.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace alexnet {

std::vector<std::string> expand_layer_list(const Network& net, const std::string& spec, const std::string& flag) {
  const std::vector<std::string> with_weights = net.layers_with_params();
  auto pos = [&](const std::string& n) {
    auto it = std::find(with_weights.begin(), with_weights.end(), n);
    if (it == with_weights.end()) fail(flag + ": '" + n + "' is not a layer with weights of " + net.arch().name);
    return static_cast<size_t>(it - with_weights.begin());
  };
  std::vector<std::string> out;
  for (size_t start = 0; start <= spec.size();) {
    const size_t end = std::min(spec.find(',', start), spec.size());
    const std::string item = spec.substr(start, end - start);
    const size_t dash = item.find('-');
    if (dash == std::string::npos) {
      out.push_back(with_weights[pos(item)]);
    } else {
      const size_t a = pos(item.substr(0, dash)), b = pos(item.substr(dash + 1));
      if (a > b) fail(flag + ": '" + item + "' runs backwards");
      for (size_t i = a; i <= b; ++i) out.push_back(with_weights[i]);
    }
    start = end + 1;
  }
  return out;
}

}  // namespace alexnet
