// alexnet filters --weights W: the conv1 kernels as a grid of colour tiles, as the paper's
// Figure 3 shows its 96 (each kernel scaled to the full 0-255 range on its own).
#include <algorithm>
#include <cstdio>

#include "cli/commands.hpp"
#include "io/plot.hpp"
#include "model/weights.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_filters(CLI::App& app) {
  auto* c = app.add_subcommand("filters", "draw the conv1 kernels as a PNG grid (the paper's Figure 3)");
  auto weights = std::make_shared<std::string>();
  auto arch = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>("filters.png");
  c->add_option("--weights", *weights, "weights (.safetensors)")->required();
  c->add_option("--arch", *arch, "architecture, when the weights do not say");
  c->add_option("--out", *out, "PNG file")->capture_default_str();
  c->callback([weights, arch, out] {
    LoadedModel m = load_model(*weights, *arch);
    Param* w = m.net->params().front();  // conv1.weight: [O, 3, k, k]
    const int o = static_cast<int>(w->shape[0]), k = static_cast<int>(w->shape[2]);
    std::vector<Image> tiles;
    for (int f = 0; f < o; ++f) {
      const float* v = w->value + static_cast<size_t>(f) * 3 * k * k;
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
    const int zoom = std::max(1, 48 / k);
    write_png(*out, caption(grid(tiles, columns, zoom, 2),
                            std::to_string(o) + " conv1 kernels " + std::to_string(k) + "x" + std::to_string(k) + "x3 of " + *weights));
    std::printf("%s\n", out->c_str());
  });
}

}  // namespace alexnet::cli
