// `alexnet tune`: a network set up at the batch sizes and modes asked for, so that every kernel
// decision (kernels/tuning.hpp) is made now, measured where this machine has no answer yet,
// rather than on the first use.
#pragma once
#include <string>
#include <vector>

#include "model/network.hpp"

namespace alexnet {

struct TuneReport {
  std::string arch;
  Mode mode = Mode::eval;
  int batch = 0;
  double seconds = 0;               // setting up, measuring included
  std::vector<LayerTiming> layers;  // each layer's kernel and how it was chosen
};

TuneReport tune_network(const ArchSpec& arch, Mode mode, int batch, int classes);

}  // namespace alexnet
