// classify WEIGHTS IMAGE [TOPK]: the most probable classes of an image, and fc7's features.
// Weights of any format alexnet reads (.safetensors, torchvision's .pth, .onnx, .caffemodel).
#include <alexnet/alexnet.hpp>

#include <cstdio>
#include <string>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s WEIGHTS IMAGE [TOPK]\n", argv[0]);
    return 2;
  }
  try {
    alexnet::Model model = alexnet::Model::load(argv[1]);
    const int topk = argc > 3 ? std::stoi(argv[3]) : 5;
    std::printf("%s, %d classes\n", model.arch().c_str(), model.num_classes());
    for (const alexnet::Prediction& p : model.classify(argv[2], topk))
      std::printf("%-24s %2d  %.4f\n", p.name.c_str(), p.index, p.probability);
    const alexnet::Array fc7 = model.features({argv[2]}, "fc7");
    std::printf("fc7: %lld values\n", static_cast<long long>(fc7.shape[1]));
  } catch (const alexnet::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  }
  return 0;
}
