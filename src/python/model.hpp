// alexnet.Model's engine: weights from any format opened for inference exactly as the commands
// open them (infer/inference_model.hpp), called with numpy arrays. The GIL is released while the
// engine computes. Everything a model's network does happens on its own engine thread
// (python/engine_thread.hpp): calls on one model from several Python threads take turns there (a
// forward already uses every compute thread); different models do not wait for each other.
#pragma once
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>
#include <string>
#include <vector>

#include "infer/inference_model.hpp"
#include "python/engine_thread.hpp"

namespace alexnet::python {

namespace py = pybind11;

class Model {
 public:
  // threads <= 0: the compute threads OpenMP would use now (all cores unless limited).
  Model(const std::string& path, const std::string& arch, int threads);
  ~Model();

  std::string arch() const { return m_.net().arch().name; }
  int num_classes() const { return m_.net().classes(); }
  int threads() const { return engine_->threads(); }
  py::object class_names() const;  // a list, or None when the weights carry none
  void set_class_names(const std::vector<std::string>& names);
  py::tuple input_shape() const;  // (3, C, C)
  py::tuple mean() const;         // per channel, 0-255 scale
  py::tuple std() const;
  py::object mean_image() const;  // S x S x 3 (0-255), or None
  std::vector<std::string> layer_names() const { return m_.net().layer_names(); }

  // Logits [N, classes] of a float array [N, 3, C, C] or [3, C, C].
  py::array_t<float> forward(const py::array& x);
  // One JSON line of `alexnet predict --json` per sample of each item (a path, bytes or a
  // uint8 H x W x 3 / H x W array).
  std::vector<std::string> predict(const py::list& items, int topk, bool ten_crop, bool logits);
  // One layer's output for a float array, or for images through the test-time centre crop.
  py::array_t<float> features(const py::object& x_or_images, const std::string& layer);

  void save(const std::string& path);
  void export_onnx(const std::string& path);

 private:
  struct Item {  // one predict/features input, taken from Python while holding the GIL
    std::string name, path, bytes;
    Image image;
    bool decoded = false;
  };
  Item take_item(const py::handle& obj, size_t position) const;
  std::vector<float> item_input(const Item& item, bool ten_crop, int* samples, int* views) const;
  LoadedModel fresh_copy() const;

  // Runs work on the engine thread, without the GIL.
  void on_engine(const std::function<void()>& work);

  std::unique_ptr<EngineThread> engine_;
  std::string path_, arch_flag_;
  InferenceModel m_;  // made, used and destroyed on the engine thread
  std::vector<std::string> names_;
};

}  // namespace alexnet::python
