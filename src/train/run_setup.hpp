// What a training run sets up before its first step, each a function of the plan: the checks of
// its data against the plan, the input transform, the loader, and what each SGD step updates.
#pragma once
#include <vector>

#include "data/dataset.hpp"
#include "data/loader.hpp"
#include "data/transform.hpp"
#include "formats/weights.hpp"
#include "model/network.hpp"
#include "train/run_data.hpp"
#include "train/sgd.hpp"
#include "train/train_config.hpp"

namespace alexnet {

class Comm;

// UserErrors for data the plan cannot train on: validation labels beyond the training set's
// classes, a batch smaller than the ranks, fewer training samples than the ranks.
void check_run_data(const RunData& d, const TrainConfig& cfg, int ranks);

// The training transform: statistics from --stats, else the data set's own (alexnet-mini) or
// the architecture's defaults (ImageNet's, docs/spec.md §2); --init-from's normalisation when
// fine-tuning without --stats. `info` gets what travels with the weights (norm, mean image).
TransformConfig training_transform(const ArchSpec& arch, const TrainConfig& cfg, const Dataset& train,
                                   const LoadedModel* source, ModelInfo& info);

LoaderConfig training_loader(const TrainConfig& cfg, const Comm& cm);

// The SGD step's ranges: every parameter that is not frozen (in hybrid parallelism, this rank's
// slice of it), the re-initialised ones at lr x --lr-mult-new; neighbours with the same
// multiplier merged.
std::vector<ParamRange> update_ranges(const Network& net, const TrainConfig& cfg);

}  // namespace alexnet
