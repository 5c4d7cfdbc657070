// The conv1 kernels as a grid of colour tiles, as the paper's Figure 3 shows its 96 (each
// kernel scaled to the full 0-255 range on its own): for `alexnet filters` and for the image
// a training run writes to TensorBoard after each epoch.
#pragma once
#include "image/image.hpp"
#include "layers/layer.hpp"

namespace alexnet {

Image filter_grid(const Param& conv1_weight);  // [O, 3, k, k]

}  // namespace alexnet
