#include "model/tune.hpp"

#include <chrono>

namespace alexnet {

TuneReport tune_network(const ArchSpec& arch, Mode mode, int batch, int classes) {
  const auto start = std::chrono::steady_clock::now();
  Network net(arch, classes);
  net.init(InitKind::kaiming, 1);
  if (mode == Mode::eval) net.set_inference_only();  // as predict and serve run it
  const Tensor input = Tensor::plain(net.input_shape(batch));
  std::fill(input.data(), input.data() + input.size(), 0.5f);
  net.forward(input, mode);  // sets every layer up, each pass's kernels chosen
  TuneReport r{arch.name, mode, batch, 0, net.timings()};
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

}  // namespace alexnet
