#include "python/train.hpp"

#include <pybind11/stl.h>

#include <optional>

#include "cli/train_args.hpp"
#include "train/training_run.hpp"
#include "util/json_text.hpp"

namespace alexnet::python {

namespace {

py::object to_python(const nlohmann::json& j) { return py::module_::import("json").attr("loads")(json_text(j)); }

// What the run's hooks saw of Python: the first exception (a KeyboardInterrupt from Ctrl-C, or
// one the callback raised), or the callback's False, either of which stops the run.
struct PythonSide {
  py::object callback;
  std::optional<py::error_already_set> error;
  bool callback_stopped = false;

  void record(const nlohmann::json& rec) {
    if (callback.is_none() || error || callback_stopped) return;
    py::gil_scoped_acquire gil;
    try {
      const py::object answer = callback(to_python(rec));
      callback_stopped = answer.is(py::bool_(false));
    } catch (py::error_already_set& e) {
      error.emplace(std::move(e));
    }
  }

  bool stop() {
    if (error || callback_stopped) return true;
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) error.emplace();  // fetches the KeyboardInterrupt
    return error.has_value();
  }
};

}  // namespace

py::dict train(const std::vector<std::string>& args, const py::object& callback, int every) {
  PythonSide side{callback, std::nullopt, false};
  RunHooks hooks;
  hooks.on_record = [&side](const nlohmann::json& rec) { side.record(rec); };
  hooks.step_every = every;
  hooks.stop = [&side] { return side.stop(); };
  std::string out;
  int code = 0;
  {
    py::gil_scoped_release nogil;
    TrainPlan plan = cli::plan_from_train_args(args);
    out = plan.cfg.out;
    code = run_training(std::move(plan), hooks);
  }
  if (side.error) {
    side.error->restore();
    throw py::error_already_set();
  }
  const char* status = code == kRunDone ? "done" : code == kRunDiverged ? "diverged" : "stopped";
  return py::dict(py::arg("status") = status, py::arg("out") = out);
}

std::vector<std::pair<std::string, bool>> train_flags() { return cli::train_flags(); }

}  // namespace alexnet::python
