#include "infer/filter_grid.hpp"

#include <algorithm>
#include <vector>

#include "image/plot.hpp"

namespace alexnet {

Image filter_grid(const Param& w) {
  const int o = static_cast<int>(w.shape[0]), k = static_cast<int>(w.shape[2]);
  std::vector<Image> tiles;
  for (int f = 0; f < o; ++f) {
    const float* v = w.value + static_cast<size_t>(f) * 3 * k * k;
    const auto [lo, hi] = std::minmax_element(v, v + 3 * k * k);
    const float scale = *hi > *lo ? 255.f / (*hi - *lo) : 0.f;
    Image t;
    t.height = t.width = k;
    t.rgb.resize(static_cast<size_t>(k) * k * 3);
    for (int y = 0; y < k; ++y)
      for (int x = 0; x < k; ++x)
        for (int ch = 0; ch < 3; ++ch)
          t.rgb[(y * k + x) * 3 + ch] = static_cast<uint8_t>((v[(ch * k + y) * k + x] - *lo) * scale + 0.5f);
    tiles.push_back(std::move(t));
  }
  const int columns = o % 12 == 0 ? 12 : 8;
  return grid(tiles, columns, std::max(1, 48 / k), 2);
}

}  // namespace alexnet
