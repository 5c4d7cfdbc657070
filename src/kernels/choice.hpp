// Which kernel computes which pass of a layer: decided here and nowhere else, as Caffe's
// layer_factory chooses between its engines. Each choice follows a measurement, and the
// thresholds it uses stand in one table (choice.cpp) with where they were measured; the
// per-layer timings behind them are in docs/performance.md.
#pragma once
#include "kernels/conv_request.hpp"
#include "kernels/fc_kernels.hpp"
#include "kernels/lrn_kernels.hpp"
#include "kernels/pool_kernels.hpp"

namespace alexnet {

// `before`: the layer's kernels from its previous setup, kept where the choice is the same.
Kernels choose_conv_kernels(const ConvRequest& r, const Kernels& before);
Kernels choose_fc_kernels(FcRequest r, const Kernels& before);
Kernels choose_lrn_kernels(const LrnParams& p, const md& in, Mode mode, const Kernels& before);
Kernels choose_pool_kernels(const PoolParams& p, const md& in, Mode mode);

}  // namespace alexnet
