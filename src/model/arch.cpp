#include "model/arch.hpp"

#include "util/error.hpp"

#include "util/enum_names.hpp"

namespace alexnet {

namespace {

constexpr int kClasses = 0;
constexpr bool Y = true, N = false;

// Krizhevsky, Sutskever, Hinton 2012, input 3x227x227 (the paper's arithmetic; its text says 224).
const ArchSpec kAlexNet = [] {
  ArchSpec a{
      "alexnet", 256, 227,
      {
          //  name     file     out   k  s  p  g  LRN pool bias      output
          {"conv1", "conv1",  96, 11, 4, 0, 1, Y, Y, 0.f},  //  96x55x55 -> pool 96x27x27
          {"conv2", "conv2", 256,  5, 1, 2, 2, Y, Y, 1.f},  // 256x27x27 -> pool 256x13x13
          {"conv3", "conv3", 384,  3, 1, 1, 1, N, N, 0.f},  // 384x13x13 (crosses both GPUs)
          {"conv4", "conv4", 384,  3, 1, 1, 2, N, N, 1.f},  // 384x13x13
          {"conv5", "conv5", 256,  3, 1, 1, 2, N, Y, 1.f},  // 256x13x13 -> pool 256x6x6 = 9216
      },
      {
          // name  file   out      ReLU dropout-in bias
          {"fc6", "fc6", 4096,     Y, 0.0f, 1.f},
          {"fc7", "fc7", 4096,     Y, 0.5f, 1.f},
          {"fc8", "fc8", kClasses, N, 0.5f, 0.f},
      },
      InitKind::paper,
      {{123.68f, 116.78f, 103.94f}, {1.f, 1.f, 1.f}},  // ImageNet's mean pixel
      false};
  a.mean_image = true;
  return a;
}();

// Caffe's bvlc_alexnet (and the ONNX model zoo's bvlcalexnet, converted from it): the paper's
// table with LRN bias k = 1, fed B, G, R on the 0-255 scale minus Caffe's ImageNet mean pixel
// (or its mean image, with --stats).
const ArchSpec kCaffe = [] {
  ArchSpec a = kAlexNet;
  a.name = "alexnet-caffe";
  a.default_norm = {{104.01f, 116.67f, 122.68f}, {1.f, 1.f, 1.f}};  // B, G, R
  a.lrn_k = 1.f;
  a.bgr = true;
  return a;
}();

// torchvision.models.alexnet ("one weird trick", single tower), input 3x224x224.
const ArchSpec kTorchvision{
    "alexnet-torchvision", 256, 224,
    {
        {"conv1", "features.0",   64, 11, 4, 2, 1, N, Y, 0.f},  //  64x55x55 -> 64x27x27
        {"conv2", "features.3",  192,  5, 1, 2, 1, N, Y, 0.f},  // 192x27x27 -> 192x13x13
        {"conv3", "features.6",  384,  3, 1, 1, 1, N, N, 0.f},  // 384x13x13
        {"conv4", "features.8",  256,  3, 1, 1, 1, N, N, 0.f},  // 256x13x13
        {"conv5", "features.10", 256,  3, 1, 1, 1, N, Y, 0.f},  // 256x13x13 -> 256x6x6
    },
    {
        {"fc6", "classifier.1", 4096,     Y, 0.5f, 0.f},
        {"fc7", "classifier.4", 4096,     Y, 0.5f, 0.f},
        {"fc8", "classifier.6", kClasses, N, 0.0f, 0.f},
    },
    InitKind::kaiming,
    {{0.485f * 255, 0.456f * 255, 0.406f * 255}, {0.229f * 255, 0.224f * 255, 0.225f * 255}},
    false};

// The same design for 28x28 images (Fashion-MNIST, MNIST, CIFAR after resizing).
const ArchSpec kMini{
    "alexnet-mini", 32, 28,
    {
        {"conv1", "conv1", 32, 5, 1, 2, 1, Y, Y, 0.f},  // 32x28x28 -> pool 32x13x13
        {"conv2", "conv2", 64, 5, 1, 2, 2, Y, Y, 1.f},  // 64x13x13 -> pool 64x6x6
        {"conv3", "conv3", 96, 3, 1, 1, 1, N, N, 0.f},  // 96x6x6
        {"conv4", "conv4", 96, 3, 1, 1, 2, N, N, 1.f},  // 96x6x6
        {"conv5", "conv5", 64, 3, 1, 1, 2, N, Y, 1.f},  // 64x6x6 -> pool 64x2x2 = 256
    },
    {
        {"fc6", "fc6", 512,      Y, 0.0f, 1.f},
        {"fc7", "fc7", 512,      Y, 0.5f, 1.f},
        {"fc8", "fc8", kClasses, N, 0.5f, 0.f},
    },
    InitKind::kaiming,  // the paper's init does not learn on this net (docs/spec.md §1)
    {},
    true};

// Every architecture, in the order the help text lists them.
const ArchSpec* const kAll[] = {&kAlexNet, &kTorchvision, &kMini, &kCaffe};

}  // namespace

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const ArchSpec* a : kAll) names.push_back(a->name);
  return names;
}

std::string arch_names_joined(const std::string& separator) {
  std::string s;
  for (const ArchSpec* a : kAll) s += (s.empty() ? "" : separator) + a->name;
  return s;
}

const ArchSpec& arch_by_name(const std::string& name) {
  for (const ArchSpec* a : kAll)
    if (a->name == name) return *a;
  fail("unknown architecture '" + name + "' (expected one of " + arch_names_joined(", ") + ")");
}

namespace {
constexpr EnumName<InitKind> kInitNames[] = {{InitKind::paper, "paper"}, {InitKind::kaiming, "kaiming"}};
}  // namespace

InitKind init_from_name(const std::string& name) { return enum_from_name(kInitNames, name, "--init"); }
const char* name_of(InitKind kind) { return enum_name(kInitNames, kind); }

}  // namespace alexnet
