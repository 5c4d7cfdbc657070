// alexnet.train(): the command's training run from Python. The keyword arguments arrive as the
// command's flags (python/alexnet/__init__.py turns data="x" into --data x) and are parsed by the
// command's own parser. The GIL is released while the run computes; the hooks take it back to
// call the callback and to see Ctrl-C, which stops the run at a checkpoint that --resume continues.
#pragma once
#include <pybind11/pybind11.h>

#include <string>
#include <utility>
#include <vector>

namespace alexnet::python {

namespace py = pybind11;

// {"status": "done" | "diverged" | "stopped", "out": the run directory}. `callback(record)` is
// called with each metrics record (epochs, and steps every `every` steps when > 0); returning
// False stops the run. An exception in it, or KeyboardInterrupt, stops the run and is raised.
py::dict train(const std::vector<std::string>& args, const py::object& callback, int every);

std::vector<std::pair<std::string, bool>> train_flags();

}  // namespace alexnet::python
