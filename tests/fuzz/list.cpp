// List files (`path label` lines, Caffe's convention) as a data set opens them, beside two
// images that exist (a.png, b.jpg), then the samples they name.
#include "data/dataset.hpp"
#include "fuzz_target.hpp"

namespace {
const std::string& folder() {
  static const std::string dir = [] {
    const std::string d = alexnet::fuzz::scratch_dir();
    alexnet::Image img;
    img.height = 5, img.width = 7;
    img.rgb.assign(5 * 7 * 3, 128);
    alexnet::fuzz::write_bytes(d + "/a.png", alexnet::encode_image(img, ".png", 90, "a.png"));
    alexnet::fuzz::write_bytes(d + "/b.jpg", alexnet::encode_image(img, ".jpg", 90, "b.jpg"));
    return d;
  }();
  return dir;
}
}  // namespace

ALEXNET_FUZZ_TARGET({
  const std::string list = folder() + "/list.txt";
  alexnet::fuzz::write_bytes(list, bytes);
  const auto data = alexnet::open_dataset(list, "list", alexnet::DatasetSplit::train);
  for (int64_t i = 0; i < std::min<int64_t>(data->size(), 8); ++i) {
    data->label(i);
    try {
      data->read(i);
    } catch (const alexnet::DecodeError&) {  // skipped and counted by the loader
    }
  }
})
