#include "infer/inference_model.hpp"

#include "infer/prediction.hpp"
#include "tensor/engine.hpp"

namespace alexnet {

InferenceModel open_for_inference(const std::string& weights, const std::string& arch, int threads) {
  set_threads(threads);
  InferenceModel m;
  m.loaded = load_model(weights, arch);
  m.loaded.net->set_inference_only();
  m.transform = test_transform(m.net().arch(), m.loaded.info.norm, m.loaded.info.mean_image);
  return m;
}

std::vector<std::string> InferenceModel::class_names(const std::string& labels) const {
  return labels.empty() ? loaded.info.class_names : read_class_names(labels, net().classes());
}

}  // namespace alexnet
