#include "train/init_from.hpp"

#include <algorithm>

#include "util/error.hpp"

namespace alexnet {

namespace {

std::string layer_of(const std::string& param) { return param.substr(0, param.rfind('.')); }

}  // namespace

InitFromReport copy_trained_params(Network& source, const std::vector<std::string>& source_classes, Network& net,
                                   const std::vector<std::string>& classes, const std::string& path,
                                   const std::vector<std::string>& reinit) {
  if (source.arch().name != net.arch().name)
    fail(path + ": weights of " + source.arch().name + ", the run trains " + net.arch().name);
  InitFromReport r;
  if (!reinit.empty()) r.why_fresh = "--reinit";
  const bool names_known = !source_classes.empty() && !classes.empty();
  bool same_classes = source.classes() == net.classes() && (!names_known || source_classes == classes);
  if (!same_classes)
    r.why_fresh += (r.why_fresh.empty() ? "" : "; ") +
                   (source.classes() != net.classes()
                        ? std::to_string(net.classes()) + " classes instead of " + std::to_string(source.classes())
                        : std::string("the classes have other names"));
  auto& params = net.params();
  const size_t head = params.size() - 2;  // the classifier's weight and bias come last
  for (size_t i = 0; i < params.size(); ++i) {
    Param* p = params[i];
    const bool asked = std::find(reinit.begin(), reinit.end(), layer_of(p->name)) != reinit.end();
    if ((i >= head && !same_classes) || asked) {
      r.fresh.push_back(p->name);
      continue;
    }
    const Param* s = source.find_param(p->name);
    if (!s || s->shape != p->shape)
      fail(path + ": layer " + layer_of(p->name) + " has shape " + (s ? shape_str(s->shape) : "(none)") + ", the run needs " +
           shape_str(p->shape));
    std::copy(s->value, s->value + s->size(), p->value);
    r.copied.push_back(p->name);
  }
  net.params_changed();
  return r;
}

std::string describe(const InitFromReport& r) {
  auto span = [](const std::vector<std::string>& names) {
    if (names.empty()) return std::string("nothing");
    const std::string a = layer_of(names.front()), b = layer_of(names.back());
    return a == b ? a : a + "-" + b;
  };
  std::string s = span(r.copied) + " copied";
  if (!r.fresh.empty()) s += ", " + span(r.fresh) + " new (" + r.why_fresh + ")";
  return s;
}

}  // namespace alexnet
