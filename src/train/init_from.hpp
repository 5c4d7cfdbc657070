// Fine-tuning's starting point (`train --init-from W`): the parameters of trained weights
// copied into a new network of the same architecture, layer by layer. The classifier (the last
// layer) is kept when the new data set has the same classes, by name where the weights name
// theirs, else by number; otherwise it keeps its fresh initialisation. Any other layer whose
// shape differs is an error naming it. Layers asked for (--reinit) are not copied.
#pragma once
#include <string>
#include <vector>

#include "model/network.hpp"

namespace alexnet {

struct InitFromReport {
  std::vector<std::string> copied, fresh;  // parameter names
  std::string why_fresh;                   // why the classifier was re-initialised
};

// `reinit` names layers (e.g. conv4 ... fc8) that keep their fresh initialisation.
InitFromReport copy_trained_params(Network& source, const std::vector<std::string>& source_classes, Network& net,
                                   const std::vector<std::string>& classes, const std::string& path,
                                   const std::vector<std::string>& reinit = {});

// "conv1-fc7 copied, fc8 new (10 classes instead of 1000)": the one line a run prints.
std::string describe(const InitFromReport& r);

}  // namespace alexnet
