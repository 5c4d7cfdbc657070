#include "formats/convert.hpp"

#include <cstdio>

#include "formats/caffe_model.hpp"
#include "formats/onnx_export.hpp"
#include "formats/weights.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

// Caffe's mean image replaces the per-channel mean of an architecture that subtracts one.
void attach_caffe_mean(const std::string& path, const ArchSpec& arch, ModelInfo& info) {
  const MeanImage mean = read_caffe_mean(path);
  if (!arch.mean_image) fail(path + ": " + arch.name + " subtracts a mean per channel, not a mean image");
  if (mean.size != arch.resize)
    fail(path + ": a " + std::to_string(mean.size) + "x" + std::to_string(mean.size) + " mean image; " + arch.name +
         " needs " + std::to_string(arch.resize) + "x" + std::to_string(arch.resize));
  info.mean_image = mean.rgb;
}

}  // namespace

std::string convert_weights(const ConvertRequest& q) {
  const bool onnx = q.out.ends_with(".onnx");
  if (!onnx && !q.out.ends_with(".safetensors"))
    fail(q.out + ": write .safetensors or .onnx (writing .pth is not supported: PyTorch reads both)");
  LoadedModel m = load_model(q.in, q.arch);
  const ArchSpec& arch = m.net->arch();
  if (!q.prototxt.empty()) check_caffe_prototxt(q.prototxt, arch);
  if (!q.mean.empty()) attach_caffe_mean(q.mean, arch, m.info);
  if (onnx) {
    if (!m.info.mean_image.empty())
      std::fprintf(stderr, "note: %s has a mean image; the ONNX graph takes the normalised input, and its "
                   "metadata does not carry the mean image\n", q.in.c_str());
    write_onnx(*m.net, m.info, q.out);
  } else {
    save_weights(*m.net, m.info, q.out);
  }
  return q.in + " -> " + q.out + " (" + arch.name + ", " + std::to_string(m.net->classes()) + " classes)";
}

}  // namespace alexnet
