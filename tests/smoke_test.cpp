#include <gtest/gtest.h>
#include "model/network.hpp"
#include "layers/softmax_xent.hpp"
using namespace alexnet;
TEST(Smoke, Mini) {
  Network net(arch_by_name("alexnet-mini"), 10);
  net.init(InitKind::kaiming, 1);
  Tensor x = Tensor::plain(net.input_shape(4));
  for (int64_t i = 0; i < x.size(); ++i) x.data()[i] = (i % 17) * 0.1f;
  const Tensor& y = net.forward(x, Mode::train, 3);
  SoftmaxCrossEntropy l;
  double loss = l.forward_backward(y, {1,2,3,4}, &net.d_logits());
  net.backward();
  printf("loss %f params %ld\n", loss, (long)net.num_params());
}
