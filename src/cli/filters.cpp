// alexnet filters --weights W: the conv1 kernels as a grid of colour tiles, as the paper's
// Figure 3 shows its 96 (each kernel scaled to the full 0-255 range on its own).
#include <algorithm>
#include <cstdio>

#include "cli/commands.hpp"
#include "image/plot.hpp"
#include "infer/filter_grid.hpp"
#include "formats/weights.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_filters(CLI::App& app) {
  auto* c = app.add_subcommand("filters", "draw the conv1 kernels as a PNG grid (the paper's Figure 3)");
  auto weights = std::make_shared<std::string>();
  auto arch = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>("filters.png");
  c->add_option("--weights", *weights, "weights (.safetensors, .pth, .onnx or .caffemodel)")->required();
  c->add_option("--arch", *arch, "architecture, when the weights do not say");
  c->add_option("--out", *out, "PNG file")->capture_default_str();
  c->callback([weights, arch, out] {
    LoadedModel m = load_model(*weights, *arch);
    const Param* w = m.net->params().front();  // conv1.weight: [O, 3, k, k]
    const int o = static_cast<int>(w->shape[0]), k = static_cast<int>(w->shape[2]);
    write_png(*out, caption(filter_grid(*w),
                            std::to_string(o) + " conv1 kernels " + std::to_string(k) + "x" + std::to_string(k) + "x3 of " + *weights));
    std::printf("%s\n", out->c_str());
  });
}

}  // namespace alexnet::cli
