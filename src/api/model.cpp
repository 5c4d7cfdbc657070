// alexnet::Model (include/alexnet/alexnet.hpp): the inference path the commands take
// (infer/inference_model.hpp), behind the public API's types.
#include <algorithm>
#include <cstring>

#include "api/guarded.hpp"
#include "cli/version.hpp"
#include "formats/onnx_export.hpp"
#include "formats/weights.hpp"
#include "infer/inference_model.hpp"
#include "infer/prediction.hpp"

namespace alexnet {

struct Model::Impl {
  std::string path, arch_flag;
  InferenceModel m;
  std::vector<std::string> names;

  Network& net() { return m.net(); }
  void check_input(const std::vector<float>& x, int64_t* n) {
    const int64_t c = net().arch().crop, per = 3 * c * c;
    if (x.empty() || x.size() % per != 0)
      fail("input of " + std::to_string(x.size()) + " floats: " + net().arch().name + " takes N x 3 x " +
           std::to_string(c) + " x " + std::to_string(c));
    *n = static_cast<int64_t>(x.size()) / per;
  }
  // One layer's outputs for n inputs, 64 at a time (bounding the activations' memory).
  Array layer_outputs(const float* x, int64_t n, const std::string& layer) {
    Array a;
    net().keep_output(layer);
    const int64_t per = 3LL * net().arch().crop * net().arch().crop;
    for (int64_t first = 0; first < n; first += 64) {
      const int rows = static_cast<int>(std::min<int64_t>(64, n - first));
      const Tensor input(plain_md(net().input_shape(rows)), const_cast<float*>(x + first * per));
      net().forward(input, Mode::eval);
      const Tensor out = net().output_of(layer);
      const dims shape = out.shape();
      a.shape.assign(shape.begin(), shape.end());
      a.values.insert(a.values.end(), out.data(), out.data() + out.size());
    }
    a.shape[0] = n;
    return a;
  }
};

std::string version_report() {
  return cli::version_report();
}

Model::Model(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::~Model() = default;

Model Model::load(const std::string& weights, const LoadOptions& options) {
  return api::guarded([&] {
    auto impl = std::make_unique<Impl>();
    impl->path = weights;
    impl->arch_flag = options.arch;
    impl->m = open_for_inference(weights, options.arch, options.threads);
    impl->names = impl->m.class_names("");
    return Model(std::move(impl));
  });
}

std::string Model::arch() const { return impl_->net().arch().name; }
int Model::num_classes() const { return impl_->net().classes(); }
int Model::input_size() const { return impl_->net().arch().crop; }
std::vector<std::string> Model::class_names() const { return impl_->names; }
std::vector<std::string> Model::layer_names() const { return impl_->net().layer_names(); }

void Model::set_class_names(const std::vector<std::string>& names) {
  if (static_cast<int>(names.size()) != num_classes())
    throw Error(std::to_string(names.size()) + " class names for " + std::to_string(num_classes()) + " classes");
  impl_->names = names;
}

std::vector<Prediction> Model::classify(const std::string& image_path, int topk, bool ten_crop) {
  return api::guarded([&] {
    Impl& m = *impl_;
    if (image_path.ends_with(".npy")) fail(image_path + ": classify() takes an image (tensors go to logits())");
    const PredictInput in = read_predict_input(image_path, m.net().arch().name, m.net().arch().crop, m.m.transform, ten_crop);
    const nlohmann::json line = alexnet::classify(m.net(), in, image_path, std::max(topk, 1), m.names, false).at(0);
    std::vector<Prediction> top;
    for (const nlohmann::json& c : line["top"]) {
      const int index = c["class"].get<int>();
      top.push_back({index, class_name(m.names, index), c["prob"].get<float>()});
    }
    return top;
  });
}

Array Model::logits(const std::vector<float>& x) {
  return api::guarded([&] {
    int64_t n = 0;
    impl_->check_input(x, &n);
    const int k = num_classes();
    const Tensor input(plain_md(impl_->net().input_shape(static_cast<int>(n))), const_cast<float*>(x.data()));
    const Tensor& out = impl_->net().forward(input, Mode::eval);
    return Array{{n, k}, std::vector<float>(out.data(), out.data() + n * k)};
  });
}

Array Model::features(const std::vector<float>& x, const std::string& layer) {
  return api::guarded([&] {
    impl_->net().check_layer(layer);
    int64_t n = 0;
    impl_->check_input(x, &n);
    return impl_->layer_outputs(x.data(), n, layer);
  });
}

Array Model::features(const std::vector<std::string>& image_paths, const std::string& layer) {
  return api::guarded([&] {
    impl_->net().check_layer(layer);
    if (image_paths.empty()) fail("features(): no images");
    std::vector<float> x;
    for (const std::string& path : image_paths) {
      if (path.ends_with(".npy")) fail(path + ": features() takes images here (tensors go to the other overload)");
      const PredictInput in = read_predict_input(path, arch(), input_size(), impl_->m.transform, false);
      x.insert(x.end(), in.x.begin(), in.x.end());
    }
    return impl_->layer_outputs(x.data(), static_cast<int64_t>(image_paths.size()), layer);
  });
}

// The weights as the file holds them, read again: an inference-only network may have given back
// its plain copy of the weights (model/network.hpp).
void Model::save(const std::string& path) const {
  api::guarded([&] {
    LoadedModel copy = load_model(impl_->path, impl_->arch_flag);
    copy.info.class_names = impl_->names;
    if (path.ends_with(".onnx"))
      write_onnx(*copy.net, copy.info, path);
    else if (path.ends_with(".safetensors"))
      save_weights(*copy.net, copy.info, path);
    else
      fail(path + ": save() writes .safetensors or .onnx");
  });
}

}  // namespace alexnet
