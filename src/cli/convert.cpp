// alexnet convert IN OUT: weights between formats. IN: .safetensors, a PyTorch .pth/.pt state
// dict, .onnx or Caffe's .caffemodel; OUT: .safetensors or .onnx (by its extension). The
// architecture, class names and normalisation travel in the metadata (safetensors) or
// metadata_props (ONNX). A Caffe model may bring its deploy.prototxt (checked against the
// architecture) and its mean image (.binaryproto), which then travels with the weights.
#include <cstdio>

#include "cli/commands.hpp"
#include "formats/caffe_model.hpp"
#include "formats/onnx_export.hpp"
#include "formats/weights.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

void add_convert(CLI::App& app) {
  auto* c = app.add_subcommand("convert", "weights between .safetensors, .pth and .caffemodel (in) and .onnx");
  struct Opts {
    std::string in, out, arch, prototxt, mean;
  };
  auto o = std::make_shared<Opts>();
  c->add_option("in", o->in, "weights: .safetensors, .pth/.pt (torch.save state dict), .onnx or .caffemodel")->required();
  c->add_option("out", o->out, "where to write: .safetensors or .onnx")->required();
  c->add_option("--arch", o->arch, "architecture, when the input does not say");
  c->add_option("--prototxt", o->prototxt, "Caffe: the deploy.prototxt, checked against the architecture");
  c->add_option("--mean", o->mean, "Caffe: the mean image (.binaryproto, e.g. imagenet_mean.binaryproto) to subtract");
  c->callback([o] {
    const bool onnx = o->out.ends_with(".onnx");
    if (!onnx && !o->out.ends_with(".safetensors"))
      fail(o->out + ": write .safetensors or .onnx (writing .pth is not supported: PyTorch reads both)");
    LoadedModel m = load_model(o->in, o->arch);
    const ArchSpec& arch = m.net->arch();
    if (!o->prototxt.empty()) check_caffe_prototxt(o->prototxt, arch);
    if (!o->mean.empty()) {
      const MeanImage mean = read_caffe_mean(o->mean);
      if (!arch.mean_image) fail(o->mean + ": " + arch.name + " subtracts a mean per channel, not a mean image");
      if (mean.size != arch.resize)
        fail(o->mean + ": a " + std::to_string(mean.size) + "x" + std::to_string(mean.size) + " mean image; " +
             arch.name + " needs " + std::to_string(arch.resize) + "x" + std::to_string(arch.resize));
      m.info.mean_image = mean.rgb;
    }
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
