#include "python/model.hpp"

#include <cstring>

#include "formats/onnx_export.hpp"
#include "infer/prediction.hpp"
#include "tensor/engine.hpp"
#include "tensor/tensor.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// x as a C-contiguous float32 batch [N, 3, C, C]: the same array when it is one already (no copy),
// other float arrays converted; integers (raw pixels, most likely) and other shapes refused.
FloatArray network_input(const py::array& x, const Network& net, const std::string& what, int* batch) {
  const std::string c = std::to_string(net.arch().crop);
  if (x.dtype().kind() != 'f')
    throw py::type_error(what + ": expected a float array, normalised as the network takes it; got dtype " +
                         py::str(x.dtype()).cast<std::string>() +
                         " (images go through predict() or features() with the image itself)");
  FloatArray a = FloatArray::ensure(x);
  if (!a) throw py::error_already_set();
  const bool one = a.ndim() == 3, many = a.ndim() == 4;
  const py::ssize_t* s = a.shape() + (many ? 1 : 0);
  if (!(one || many) || s[0] != 3 || s[1] != net.arch().crop || s[2] != net.arch().crop)
    throw py::value_error(what + ": shape " + shape_of(a) + " does not fit " + net.arch().name + ", which takes [N, 3, " +
                          c + ", " + c + "] or [3, " + c + ", " + c + "]");
  *batch = many ? static_cast<int>(a.shape(0)) : 1;
  if (*batch < 1) throw py::value_error(what + ": an empty batch");
  return a;
}

// A uint8 image as numpy holds it: H x W (gray), H x W x 1, 3 (RGB) or 4 (RGBA, alpha dropped).
Image image_from_array(const py::array& x, const std::string& name) {
  if (x.dtype().kind() != 'u' || x.itemsize() != 1)
    throw py::type_error(name + ": an image array must be uint8 (H x W x 3 RGB or H x W gray); got dtype " +
                         py::str(x.dtype()).cast<std::string>());
  const auto a = py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(x);
  const int channels = a.ndim() == 2 ? 1 : a.ndim() == 3 ? static_cast<int>(a.shape(2)) : 0;
  if (channels != 1 && channels != 3 && channels != 4)
    throw py::value_error(name + ": shape " + shape_of(a) + " is not an image (H x W, or H x W x 1, 3 or 4)");
  if (a.shape(0) < 1 || a.shape(1) < 1 || a.shape(0) * a.shape(1) > max_image_pixels())
    throw py::value_error(name + ": shape " + shape_of(a) + ": an image of 1 to " +
                          std::to_string(max_image_pixels()) + " pixels");
  Image img;
  img.height = static_cast<int>(a.shape(0)), img.width = static_cast<int>(a.shape(1));
  img.rgb.resize(static_cast<size_t>(img.height) * img.width * 3);
  const uint8_t* src = a.data();
  for (size_t p = 0, n = static_cast<size_t>(img.height) * img.width; p < n; ++p)
    for (int k = 0; k < 3; ++k) img.rgb[3 * p + k] = src[p * channels + (channels >= 3 ? k : 0)];
  return img;
}

py::tuple triple(const std::array<float, 3>& v) { return py::make_tuple(v[0], v[1], v[2]); }

}  // namespace

Model::Model(const std::string& path, const std::string& arch, int threads)
    : engine_(std::make_unique<EngineThread>(threads)), path_(path), arch_flag_(arch) {
  on_engine([&] { m_ = open_for_inference(path, arch, threads); });
  names_ = m_.loaded.info.class_names;
}

Model::~Model() {
  on_engine([&] { m_ = InferenceModel{}; });
}

void Model::on_engine(const std::function<void()>& work) {
  py::gil_scoped_release nogil;
  engine_->run(work);
}

py::object Model::class_names() const {
  if (names_.empty()) return py::none();
  return py::cast(names_);
}

void Model::set_class_names(const std::vector<std::string>& names) {
  if (!names.empty() && static_cast<int>(names.size()) != num_classes())
    throw py::value_error("classes: " + std::to_string(names.size()) + " names for " + std::to_string(num_classes()) +
                          " classes");
  names_ = names;
}

py::tuple Model::input_shape() const {
  const int c = m_.net().arch().crop;
  return py::make_tuple(3, c, c);
}

py::tuple Model::mean() const { return triple(m_.transform.norm.mean); }
py::tuple Model::std() const { return triple(m_.transform.norm.std); }

py::object Model::mean_image() const {
  const auto& mi = m_.transform.mean_image;
  if (mi.empty()) return py::none();
  const py::ssize_t s = m_.transform.resize;
  py::array_t<float> a({s, s, py::ssize_t{3}});
  std::memcpy(a.mutable_data(), mi.data(), mi.size() * sizeof(float));
  return a;
}

py::array_t<float> Model::forward(const py::array& x) {
  int n = 0;
  const FloatArray in = network_input(x, m_.net(), "model(x)", &n);
  const int k = num_classes();
  py::array_t<float> out({n, k});
  const float* src = in.data();
  float* dst = out.mutable_data();
  on_engine([&] {
    const Tensor input(plain_md(m_.net().input_shape(n)), const_cast<float*>(src));
    const Tensor& logits = m_.net().forward(input, Mode::eval);
    std::memcpy(dst, logits.data(), sizeof(float) * n * k);
  });
  return out;
}

Model::Item Model::take_item(const py::handle& obj, size_t position) const {
  Item item;
  if (py::isinstance<py::str>(obj)) {
    item.name = item.path = obj.cast<std::string>();
  } else if (py::isinstance<py::bytes>(obj) || py::isinstance<py::bytearray>(obj)) {
    item.name = "<bytes #" + std::to_string(position) + ">";
    item.bytes = py::isinstance<py::bytes>(obj) ? obj.cast<std::string>()
                                                : std::string(PyByteArray_AsString(obj.ptr()), PyByteArray_Size(obj.ptr()));
  } else if (py::isinstance<py::array>(obj)) {
    item.name = "<array #" + std::to_string(position) + ">";
    item.image = image_from_array(py::reinterpret_borrow<py::array>(obj), item.name);
    item.decoded = true;
  } else {
    throw py::type_error("item #" + std::to_string(position) + ": expected a path, bytes or a uint8 image array; got " +
                         py::str(py::type::handle_of(obj).attr("__name__")).cast<std::string>());
  }
  return item;
}

std::vector<float> Model::item_input(const Item& item, bool ten_crop, int* samples, int* views) const {
  const Network& net = m_.net();
  if (!item.path.empty()) {
    PredictInput in = read_predict_input(item.path, net.arch().name, net.arch().crop, m_.transform, ten_crop);
    *samples = in.samples, *views = in.views;
    return std::move(in.x);
  }
  *samples = 1, *views = ten_crop ? 10 : 1;
  try {
    return image_input(item.decoded ? item.image : decode_image_bytes(item.bytes, item.name), m_.transform, ten_crop);
  } catch (const DecodeError& e) {
    fail(e.what());
  }
}

std::vector<std::string> Model::predict(const py::list& items, int topk, bool ten_crop, bool logits) {
  if (topk < 1) throw py::value_error("topk must be at least 1");
  std::vector<Item> taken;
  for (size_t i = 0; i < items.size(); ++i) taken.push_back(take_item(items[i], i));
  std::vector<std::string> lines;
  on_engine([&] {
    for (const Item& item : taken) {
      PredictInput in;
      in.x = item_input(item, ten_crop, &in.samples, &in.views);
      for (const nlohmann::json& j : classify(m_.net(), in, item.name, topk, names_, logits)) lines.push_back(json_text(j));
    }
  });
  return lines;
}

py::array_t<float> Model::features(const py::object& x_or_images, const std::string& layer) {
  m_.net().check_layer(layer);  // a UserError: ValueError in Python (module.cpp)
  std::vector<float> batch;  // [n, 3, C, C]: the array's, or the images' centre crops
  FloatArray given;
  const bool array = py::isinstance<py::array>(x_or_images);
  int n = 0;
  if (array) {
    given = network_input(py::reinterpret_borrow<py::array>(x_or_images), m_.net(), "features(x)", &n);
  } else {
    std::vector<Item> taken;
    for (const py::handle& obj : py::list(x_or_images)) taken.push_back(take_item(obj, taken.size()));
    if (taken.empty()) throw py::value_error("features(): no images");
    py::gil_scoped_release nogil;
    for (const Item& item : taken) {
      int samples = 0, views = 0;
      const std::vector<float> x = item_input(item, false, &samples, &views);
      batch.insert(batch.end(), x.begin(), x.end());
      n += samples;
    }
  }
  const float* src = array ? given.data() : batch.data();
  std::vector<float> values;
  dims shape;
  on_engine([&] {
    Network& net = m_.net();
    net.keep_output(layer);
    const int64_t per_sample = 3LL * net.arch().crop * net.arch().crop;
    constexpr int kChunk = 64;  // bounds the activations' memory for long lists
    for (int first = 0; first < n; first += kChunk) {
      const int rows = std::min(kChunk, n - first);
      const Tensor input(plain_md(net.input_shape(rows)), const_cast<float*>(src + first * per_sample));
      net.forward(input, Mode::eval);
      const Tensor out = net.output_of(layer);
      shape = out.shape();
      values.insert(values.end(), out.data(), out.data() + out.size());
    }
  });
  shape[0] = n;
  py::array_t<float> a(std::vector<py::ssize_t>(shape.begin(), shape.end()));
  std::memcpy(a.mutable_data(), values.data(), values.size() * sizeof(float));
  return a;
}

// The weights as the file holds them, read again: an inference-only network may have given back
// its plain copy of the weights (model/network.hpp). Its class names are the model's.
LoadedModel Model::fresh_copy() const {
  LoadedModel copy = load_model(path_, arch_flag_);
  copy.info.class_names = names_;
  return copy;
}

void Model::save(const std::string& path) {
  if (!path.ends_with(".safetensors")) throw py::value_error(path + ": save() writes .safetensors (export_onnx() writes .onnx)");
  py::gil_scoped_release nogil;
  LoadedModel copy = fresh_copy();
  save_weights(*copy.net, copy.info, path);
}

void Model::export_onnx(const std::string& path) {
  if (!path.ends_with(".onnx")) throw py::value_error(path + ": export_onnx() writes .onnx");
  py::gil_scoped_release nogil;
  LoadedModel copy = fresh_copy();
  write_onnx(*copy.net, copy.info, path);
}

}  // namespace alexnet::python
