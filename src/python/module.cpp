// The extension module alexnet._alexnet: what python/alexnet/__init__.py builds its API from.
// The user-facing names, docstrings and argument handling live there; this file binds the engine
// and turns the library's errors into Python's: a user's mistake (UserError, an image that does not
// decode) becomes ValueError with the command's one-line message, a bug RuntimeError.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <oneapi/dnnl/dnnl.hpp>

#include "formats/convert.hpp"
#include "image/image.hpp"
#include "model/arch.hpp"
#include "model/network.hpp"
#include "python/model.hpp"
#include "python/train.hpp"
#include "util/error.hpp"

namespace py = pybind11;
using alexnet::python::Model;

namespace {

void translate_errors() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const alexnet::UserError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const alexnet::DecodeError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    } catch (const alexnet::InternalError& e) {
      PyErr_SetString(PyExc_RuntimeError, (std::string(e.what()) + "; please report it").c_str());
    } catch (const dnnl::error& e) {
      PyErr_SetString(PyExc_RuntimeError, (std::string("oneDNN: ") + e.what()).c_str());
    }
  });
}

}  // namespace

PYBIND11_MODULE(_alexnet, m) {
  m.doc() = "AlexNet on oneDNN: the engine behind the alexnet package";
  alexnet::init_image_decoding();
  translate_errors();

  py::class_<Model>(m, "Model")
      .def(py::init<const std::string&, const std::string&, int>(), py::arg("path"), py::arg("arch"),
           py::arg("threads"))
      .def_property_readonly("arch", &Model::arch)
      .def_property_readonly("num_classes", &Model::num_classes)
      .def_property_readonly("threads", &Model::threads)
      .def_property("class_names", &Model::class_names, &Model::set_class_names)
      .def_property_readonly("input_shape", &Model::input_shape)
      .def_property_readonly("mean", &Model::mean)
      .def_property_readonly("std", &Model::std)
      .def_property_readonly("mean_image", &Model::mean_image)
      .def_property_readonly("layer_names", &Model::layer_names)
      .def("forward", &Model::forward, py::arg("x"))
      .def("predict", &Model::predict, py::arg("items"), py::arg("topk"), py::arg("ten_crop"), py::arg("logits"))
      .def("features", &Model::features, py::arg("x_or_images"), py::arg("layer"))
      .def("save", &Model::save, py::arg("path"))
      .def("export_onnx", &Model::export_onnx, py::arg("path"));

  m.def(
      "convert",
      [](const std::string& in, const std::string& out, const std::string& arch, const std::string& prototxt,
         const std::string& mean) {
        py::gil_scoped_release nogil;
        return alexnet::convert_weights({in, out, arch, prototxt, mean});
      },
      py::arg("src"), py::arg("dst"), py::arg("arch"), py::arg("prototxt"), py::arg("mean"));
  m.def("train", &alexnet::python::train, py::arg("args"), py::arg("callback"), py::arg("every"));
  m.def("train_flags", &alexnet::python::train_flags);
  m.def("arch_names", &alexnet::arch_names);
  m.def(
      "param_shapes",
      [](const std::string& arch, int classes) {
        return alexnet::Network::param_shapes(alexnet::arch_by_name(arch), classes);
      },
      py::arg("arch"), py::arg("classes"));
}
