// What every command that only infers starts from (predict, eval, features, similar, serve):
// the compute threads set, the weights read from any format (formats/weights.hpp), the network
// marked inference-only (it may give back memory it no longer needs), and the test-time
// transform those weights ask for (their normalisation and mean image, docs/spec.md §2).
#pragma once
#include <string>
#include <vector>

#include "data/transform.hpp"
#include "formats/weights.hpp"

namespace alexnet {

struct InferenceModel {
  LoadedModel loaded;
  TransformConfig transform;

  Network& net() const { return *loaded.net; }
  // From `labels` (a file of one name per line) when given, else those the weights carry
  // (possibly none).
  std::vector<std::string> class_names(const std::string& labels) const;
};

// `arch`: the architecture when the weights do not say (may be empty); threads <= 0: OpenMP's
// default.
InferenceModel open_for_inference(const std::string& weights, const std::string& arch, int threads);

}  // namespace alexnet
