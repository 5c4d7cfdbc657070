// alexnet convert IN OUT: weights between formats. IN: .safetensors, a PyTorch .pth/.pt state
// dict, .onnx or Caffe's .caffemodel; OUT: .safetensors or .onnx (by its extension). The
// architecture, class names and normalisation travel in the metadata (safetensors) or
// metadata_props (ONNX). A Caffe model may bring its deploy.prototxt (checked against the
// architecture) and its mean image (.binaryproto), which then travels with the weights.
#include <cstdio>

#include "cli/commands.hpp"
#include "formats/convert.hpp"

namespace alexnet::cli {

void add_convert(CLI::App& app) {
  auto* c = app.add_subcommand("convert", "weights between .safetensors, .pth and .caffemodel (in) and .onnx");
  auto q = std::make_shared<ConvertRequest>();
  c->add_option("in", q->in, "weights: .safetensors, .pth/.pt (torch.save state dict), .onnx or .caffemodel")->required();
  c->add_option("out", q->out, "where to write: .safetensors or .onnx")->required();
  c->add_option("--arch", q->arch, "architecture, when the input does not say");
  c->add_option("--prototxt", q->prototxt, "Caffe: the deploy.prototxt, checked against the architecture");
  c->add_option("--mean", q->mean, "Caffe: the mean image (.binaryproto, e.g. imagenet_mean.binaryproto) to subtract");
  c->callback([q] { std::printf("%s\n", convert_weights(*q).c_str()); });
}

}  // namespace alexnet::cli
