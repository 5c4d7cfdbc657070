// alexnet convert IN OUT: weights between formats. IN: .safetensors, a PyTorch .pth/.pt state
// dict, or .onnx; OUT: .safetensors or .onnx (by its extension). The architecture, class names
// and normalisation travel in the metadata (safetensors) or metadata_props (ONNX).
#include <cstdio>

#include "cli/commands.hpp"
#include "formats/onnx_export.hpp"
#include "formats/weights.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_convert(CLI::App& app) {
  auto* c = app.add_subcommand("convert", "weights between .safetensors, .pth (in) and .onnx");
  struct Opts {
    std::string in, out, arch;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("in", o->in, "weights: .safetensors, .pth/.pt (torch.save state dict) or .onnx")->required();
  c->add_option("out", o->out, "where to write: .safetensors or .onnx")->required();
  c->add_option("--arch", o->arch, "architecture, when the input does not say");
  c->callback([o] {
    const bool onnx = o->out.ends_with(".onnx");
    if (!onnx && !o->out.ends_with(".safetensors"))
      fail(o->out + ": write .safetensors or .onnx (writing .pth is not supported: PyTorch reads both)");
    LoadedModel m = load_model(o->in, o->arch);
    if (onnx) {
      if (!m.info.mean_image.empty())
        std::fprintf(stderr, "note: %s has a mean image; the ONNX graph takes the normalised input, and its "
                     "metadata does not carry the mean image\n", o->in.c_str());
      write_onnx(*m.net, m.info, o->out);
    } else {
      save_weights(*m.net, m.info, o->out);
    }
    std::printf("%s -> %s (%s, %d classes)\n", o->in.c_str(), o->out.c_str(), m.net->arch().name.c_str(),
                m.net->classes());
  });
}

}  // namespace alexnet::cli
