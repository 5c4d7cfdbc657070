// Hybrid parallelism as the training loop sees it (--parallel hybrid or auto under mpirun): the
// convolutions data-parallel, each fc layer's neurons split across the ranks, activations
// exchanged between them (layers/exchange.hpp). The loop chooses the split the network is built
// with, tells the network each step's rows, and shares the ranks' slices of the fc parameters
// before anything reads them all (validation, the weights' check, a checkpoint).
#pragma once
#include <cstdint>

#include "layers/exchange.hpp"
#include "model/arch.hpp"
#include "train/train_config.hpp"

namespace alexnet {

class Comm;
class Network;
class WeightAverage;

// The split --parallel asks for on these ranks: none for data parallelism, one process, or
// (auto) when the ranks outnumber the neurons of the narrowest fc layer, which --parallel hybrid
// refuses with a UserError.
ModelSplit choose_model_split(const TrainConfig& cfg, Comm& cm, const ArchSpec& arch, int classes);

class HybridSync {
 public:
  explicit HybridSync(Comm& cm) : cm_(cm) {}
  // Before a training forward of this rank's `rows` samples: every rank's rows of the global
  // batch, given to the network. False when a rank has none (its files all failed to decode):
  // the step is skipped by every rank.
  bool set_rows(Network& net, int rows);
  // After SGD moved this rank's slices.
  void changed() { shared_ = false; }
  // The slices of the values, the momenta and the average (when there is one) sent to every
  // rank. Collective: every rank calls it at the same points.
  void share(Network& net, WeightAverage* average);

 private:
  void share_buffer(Network& net, float* buffer);
  Comm& cm_;
  bool shared_ = true;
};

}  // namespace alexnet
