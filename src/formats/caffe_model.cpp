#include "formats/caffe_model.hpp"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>

#include "caffe_net.pb.h"
#include "formats/weight_formats.hpp"
#include "model/layer_plan.hpp"
#include "tensor/tensor.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace {

using Blobs = google::protobuf::RepeatedPtrField<alexnet_caffe::BlobProto>;

// A layer of either form, `layer` (LayerParameter) or the 2014 `layers` (V1LayerParameter).
struct CaffeLayer {
  std::string name, type;  // type as the current form names it: Convolution, LRN, ...
  const Blobs* blobs = nullptr;
  const alexnet_caffe::ConvolutionParameter* conv = nullptr;
  const alexnet_caffe::InnerProductParameter* fc = nullptr;
  const alexnet_caffe::LRNParameter* lrn = nullptr;
  const alexnet_caffe::PoolingParameter* pool = nullptr;
};

std::string v1_type(alexnet_caffe::V1LayerParameter::LayerType t) {
  using V1 = alexnet_caffe::V1LayerParameter;
  switch (t) {
    case V1::CONVOLUTION: return "Convolution";
    case V1::INNER_PRODUCT: return "InnerProduct";
    case V1::LRN: return "LRN";
    case V1::POOLING: return "Pooling";
    case V1::RELU: return "ReLU";
    case V1::DROPOUT: return "Dropout";
    case V1::SOFTMAX: return "Softmax";
    default: return V1::LayerType_Name(t);
  }
}

std::vector<CaffeLayer> layers_of(const alexnet_caffe::NetParameter& net) {
  std::vector<CaffeLayer> out;
  auto add = [&](const auto& l, std::string type) {
    out.push_back({l.name(), std::move(type), &l.blobs(), l.has_convolution_param() ? &l.convolution_param() : nullptr,
                   l.has_inner_product_param() ? &l.inner_product_param() : nullptr,
                   l.has_lrn_param() ? &l.lrn_param() : nullptr, l.has_pooling_param() ? &l.pooling_param() : nullptr});
  };
  for (const auto& l : net.layer()) add(l, l.type());
  for (const auto& l : net.layers()) add(l, v1_type(l.type()));
  return out;
}

const CaffeLayer* find_layer(const std::vector<CaffeLayer>& layers, const std::string& name) {
  for (const CaffeLayer& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

// A blob's values under the shape of `rank` dimensions: the BlobShape, or the 4-D
// num/channels/height/width of older files with its leading ones dropped (an fc weight is
// [1, 1, out, in] there, a bias [1, 1, 1, out]).
NamedTensor blob_tensor(const alexnet_caffe::BlobProto& b, size_t rank, const std::string& where) {
  std::vector<int64_t> dims;
  if (b.has_shape()) dims.assign(b.shape().dim().begin(), b.shape().dim().end());
  else dims = {b.num(), b.channels(), b.height(), b.width()};
  while (dims.size() > rank && dims.front() == 1) dims.erase(dims.begin());
  uint64_t count = 1;
  for (int64_t d : dims) {
    if (d < 0 || d > (int64_t{1} << 31)) fail(where + ": shape " + shape_str(dims) + " is not a shape");
    count *= static_cast<uint64_t>(d);
    if (count > (uint64_t{1} << 31)) fail(where + ": shape " + shape_str(dims) + " is absurdly large");
  }
  const uint64_t have = b.data_size() > 0 ? b.data_size() : b.double_data_size();
  if (have != count)
    fail(where + ": shape " + shape_str(dims) + " needs " + std::to_string(count) + " values, the blob holds " +
         std::to_string(have));
  NamedTensor t;
  t.shape = dims;
  if (b.data_size() > 0) t.data.assign(b.data().begin(), b.data().end());
  else t.data.assign(b.double_data().begin(), b.double_data().end());
  return t;
}

// The architecture a file's layers say: conv1's shape, then the LRN's k (Caffe's 1 or the
// paper's 2) between the two nets of the same shapes.
std::string arch_of(const std::vector<CaffeLayer>& layers, const std::string& path) {
  const CaffeLayer* conv1 = find_layer(layers, "conv1");
  if (!conv1 || conv1->blobs->empty()) fail(path + ": no layer 'conv1' with weights: not one of AlexNet's Caffe files");
  SafetensorsFile probe;
  probe.tensors["conv1.weight"] = blob_tensor(conv1->blobs->Get(0), 4, path + ": layer 'conv1' weights");
  // Caffe's pooling rounds up: only on the 2012 net's odd maps (55, 27, 13) does it agree with
  // ours, so the Caffe files map onto alexnet-caffe and alexnet alone.
  std::string arch = guess_arch(probe);
  if (arch != "alexnet")
    fail(path + ": layer 'conv1' has weights " + shape_str(probe.tensors["conv1.weight"].shape) +
         "; a Caffe AlexNet's are [96, 3, 11, 11]");
  const CaffeLayer* norm1 = find_layer(layers, "norm1");
  if (arch == "alexnet" && !(norm1 && norm1->lrn && norm1->lrn->k() == 2.f)) arch = "alexnet-caffe";
  return arch;
}

// CaffeNet (bvlc_reference_caffenet) pools before it normalises; AlexNet the other way round.
void check_order(const std::vector<CaffeLayer>& layers, const std::string& path) {
  auto index = [&](const std::string& n) {
    for (size_t i = 0; i < layers.size(); ++i)
      if (layers[i].name == n) return static_cast<long>(i);
    return -1L;
  };
  for (const char* k : {"1", "2"}) {
    const long norm = index(std::string("norm") + k), pool = index(std::string("pool") + k);
    if (norm >= 0 && pool >= 0 && pool < norm)
      fail(path + ": layer 'pool" + k + "' comes before 'norm" + k +
           "' (CaffeNet's order); AlexNet normalises before it pools, and no architecture here pools first");
  }
}

uint32_t first_or(const google::protobuf::RepeatedField<uint32_t>& v, uint32_t fallback) {
  return v.empty() ? fallback : v.Get(0);
}

// The layer's numbers against the table's row; "" when they fit, else what differs.
std::string conv_mismatch(const CaffeLayer& l, const LayerSpec& r) {
  if (l.type != "Convolution" || !l.conv) return "is a " + l.type + " layer, not a convolution";
  const auto& c = *l.conv;
  const uint32_t k = c.has_kernel_h() ? c.kernel_h() : first_or(c.kernel_size(), 0);
  const uint32_t s = c.has_stride_h() ? c.stride_h() : first_or(c.stride(), 1);
  const uint32_t p = c.has_pad_h() ? c.pad_h() : first_or(c.pad(), 0);
  const int out = static_cast<int>(r.out[0]);
  if (static_cast<int>(c.num_output()) != out || static_cast<int>(k) != r.kernel || static_cast<int>(s) != r.stride ||
      static_cast<int>(p) != r.pad || static_cast<int>(c.group()) != r.groups || !c.bias_term())
    return "has " + std::to_string(c.num_output()) + " outputs, kernel " + std::to_string(k) + ", stride " +
           std::to_string(s) + ", pad " + std::to_string(p) + ", group " + std::to_string(c.group()) +
           (c.bias_term() ? "" : ", no bias") + "; " + r.name + " has " + std::to_string(out) + ", " +
           std::to_string(r.kernel) + ", " + std::to_string(r.stride) + ", " + std::to_string(r.pad) + ", " +
           std::to_string(r.groups) + " and a bias";
  return "";
}

std::string lrn_mismatch(const CaffeLayer& l, const LrnParams& want) {
  if (l.type != "LRN" || !l.lrn) return "is a " + l.type + " layer, not LRN";
  const auto& n = *l.lrn;
  const float k = want.k;
  if (static_cast<int>(n.local_size()) != want.size || std::abs(n.alpha() - want.alpha) > 1e-9f || n.beta() != want.beta || n.k() != k ||
      n.norm_region() != alexnet_caffe::LRNParameter::ACROSS_CHANNELS)
    return "has size " + std::to_string(n.local_size()) + ", alpha " + std::to_string(n.alpha()) + ", beta " +
           std::to_string(n.beta()) + ", k " + std::to_string(n.k()) +
           (n.norm_region() == alexnet_caffe::LRNParameter::ACROSS_CHANNELS ? "" : ", within channels") +
           "; expected size 5, alpha 0.0001, beta 0.75, k " + std::to_string(k) + " across channels";
  return "";
}

std::string pool_mismatch(const CaffeLayer& l, const LayerSpec& r) {
  if (l.type != "Pooling" || !l.pool) return "is a " + l.type + " layer, not pooling";
  const auto& p = *l.pool;
  if (p.pool() != alexnet_caffe::PoolingParameter::MAX || static_cast<int>(p.kernel_size()) != r.kernel ||
      static_cast<int>(p.stride()) != r.stride || p.pad() != 0)
    return "is not max pooling " + std::to_string(r.kernel) + "x" + std::to_string(r.kernel) + " with stride " +
           std::to_string(r.stride);
  return "";
}

std::string fc_mismatch(const CaffeLayer& l, const LayerSpec& r) {
  if (l.type != "InnerProduct" || !l.fc) return "is a " + l.type + " layer, not an inner product";
  if (l.fc->transpose() || !l.fc->bias_term()) return "is transposed or has no bias";
  const int out = static_cast<int>(r.out[0]);  // 0: fc8, as wide as the file's classes
  if (out != 0 && static_cast<int>(l.fc->num_output()) != out)
    return "has " + std::to_string(l.fc->num_output()) + " outputs; " + r.name + " has " + std::to_string(out);
  return "";
}

// Every convolution, LRN, pooling and inner product of the architecture, by name, with its
// numbers. `all`: the layers must all be there (a prototxt); otherwise only those present are
// checked (a .caffemodel keeps the layers with weights, and often the rest).
void check_layers(const std::vector<CaffeLayer>& layers, const ArchSpec& arch, const std::string& path, bool all) {
  auto check = [&](const std::string& name, auto mismatch) {
    const CaffeLayer* l = find_layer(layers, name);
    if (!l) {
      if (all) fail(path + ": no layer '" + name + "', which " + arch.name + " has");
      return;
    }
    if (!all && !l->conv && !l->fc && !l->lrn && !l->pool) return;  // weights without their parameters
    const std::string why = mismatch(*l);
    if (!why.empty()) fail(path + ": layer '" + name + "' " + why + " (" + arch.name + ")");
  };
  // Caffe's layers carry our names (conv1, norm1, pool1, fc6); its ReLUs and dropouts hold nothing to check.
  for (const LayerSpec& r : layer_plan(arch, 0)) {
    switch (r.kind) {
      case LayerKind::conv: check(r.name, [&](const CaffeLayer& l) { return conv_mismatch(l, r); }); break;
      case LayerKind::lrn: check(r.name, [&](const CaffeLayer& l) { return lrn_mismatch(l, r.lrn); }); break;
      case LayerKind::max_pool: check(r.name, [&](const CaffeLayer& l) { return pool_mismatch(l, r); }); break;
      case LayerKind::linear: check(r.name, [&](const CaffeLayer& l) { return fc_mismatch(l, r); }); break;
      case LayerKind::flatten:
      case LayerKind::dropout: break;
    }
  }
}

}  // namespace

bool looks_like_caffemodel(const std::string& b) {
  // NetParameter's fields 1 (name), 2 (V1 layers), 3 (input) as length-delimited, or 100
  // (layer: tag 802, the varint a2 06).
  if (b.size() < 2) return false;
  const auto c0 = static_cast<uint8_t>(b[0]), c1 = static_cast<uint8_t>(b[1]);
  return c0 == 0x0a || c0 == 0x12 || c0 == 0x1a || (c0 == 0xa2 && c1 == 0x06);
}

SafetensorsFile import_caffemodel(const std::string& bytes, const std::string& path) {
  if (bytes.size() > kMaxCaffeModelBytes)
    fail(path + ": " + std::to_string(bytes.size() >> 20) + " MB, larger than any AlexNet .caffemodel (at most " +
         std::to_string(kMaxCaffeModelBytes >> 20) + " MB)");
  alexnet_caffe::NetParameter net;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(static_cast<int>(bytes.size()));
  if (!net.ParseFromCodedStream(&in) || !in.ConsumedEntireMessage())
    fail(path + ": not a Caffe model (the protobuf does not parse: truncated or another format)");
  const std::vector<CaffeLayer> layers = layers_of(net);
  check_order(layers, path);
  const ArchSpec& arch = arch_by_name(arch_of(layers, path));
  check_layers(layers, arch, path, false);
  SafetensorsFile f;
  auto take = [&](const std::string& name, const std::string& file, size_t rank) {
    const CaffeLayer* l = find_layer(layers, name);
    if (!l) fail(path + ": no layer '" + name + "', which " + arch.name + " has");
    if (l->blobs->size() != 2)
      fail(path + ": layer '" + name + "' has " + std::to_string(l->blobs->size()) + " blobs, expected 2 (weights, bias)");
    const std::string where = path + ": layer '" + name + "'";
    f.tensors[file + ".weight"] = blob_tensor(l->blobs->Get(0), rank, where + " weights");
    f.tensors[file + ".bias"] = blob_tensor(l->blobs->Get(1), 1, where + " bias");
  };
  for (const LayerSpec& r : layer_plan(arch, 0))
    if (r.has_params()) take(r.name, r.tensors, r.kind == LayerKind::conv ? 4 : 2);
  f.metadata["arch"] = arch.name;
  return f;
}

void check_caffe_prototxt(const std::string& path, const ArchSpec& arch) {
  const std::string text = read_file(path);
  alexnet_caffe::NetParameter net;
  google::protobuf::TextFormat::Parser parser;
  parser.AllowUnknownField(true);  // the schema here holds only what AlexNet's layers use
  if (!parser.ParseFromString(text, &net)) fail(path + ": not a Caffe prototxt (protobuf text format)");
  const std::vector<CaffeLayer> layers = layers_of(net);
  check_order(layers, path);
  check_layers(layers, arch, path, true);
}

MeanImage read_caffe_mean(const std::string& path) {
  const std::string bytes = read_file(path);
  alexnet_caffe::BlobProto b;
  if (bytes.size() > (size_t{64} << 20) || !b.ParseFromString(bytes))
    fail(path + ": not a Caffe mean file (.binaryproto: a BlobProto)");
  const NamedTensor t = blob_tensor(b, 3, path);
  if (t.shape.size() != 3 || t.shape[0] != 3 || t.shape[1] != t.shape[2] || t.shape[1] < 1)
    fail(path + ": a mean image of shape " + shape_str(t.shape) + "; expected [3, S, S] (B, G, R)");
  MeanImage m;
  m.size = static_cast<int>(t.shape[1]);
  const size_t px = static_cast<size_t>(m.size) * m.size;
  m.rgb.resize(px * 3);
  for (size_t p = 0; p < px; ++p)
    for (int c = 0; c < 3; ++c) m.rgb[p * 3 + c] = t.data[(2 - c) * px + p];  // B, G, R planes -> R, G, B pixels
  return m;
}

}  // namespace alexnet
