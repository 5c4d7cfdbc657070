// MNIST-style IDX files: a big-endian header (magic 0x0803 for images, 0x0801 for labels,
// then the dimensions) and unsigned bytes. Read whole (gzipped or not) into memory.
#include <zlib.h>

#include <filesystem>

#include "data/dataset.hpp"
#include "util/error.hpp"

namespace alexnet {

namespace fs = std::filesystem;

namespace {

std::string read_maybe_gzip(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) fail(path + ": cannot open");
  std::string out;
  char buf[1 << 16];
  int n;
  while ((n = gzread(f, buf, sizeof buf)) > 0) {
    out.append(buf, n);
    if (out.size() > (size_t{1} << 32)) break;
  }
  int err = 0;
  const char* msg = gzerror(f, &err);
  const bool bad = n < 0 || (err != Z_OK && err != Z_STREAM_END);
  const std::string m = msg ? msg : "";
  gzclose(f);
  if (bad) fail(path + ": corrupt or truncated gzip data (" + m + ")");
  return out;
}

uint32_t be32(const std::string& b, size_t off) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(b[off])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[off + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(b[off + 2])) << 8) |
         static_cast<uint32_t>(static_cast<uint8_t>(b[off + 3]));
}

std::vector<uint32_t> idx_dims(const std::string& b, const std::string& path, int want_rank) {
  if (b.size() < 4) fail(path + ": too short for an IDX header");
  const uint32_t magic = be32(b, 0);
  if ((magic >> 8) != 0x08)
    fail(path + ": not an unsigned-byte IDX file (magic 0x" + [&] {
      char s[16];
      snprintf(s, sizeof s, "%08x", magic);
      return std::string(s);
    }() + ")");
  const int rank = static_cast<int>(magic & 0xff);
  if (rank != want_rank)
    fail(path + ": IDX rank " + std::to_string(rank) + ", expected " + std::to_string(want_rank));
  if (b.size() < 4 + 4 * static_cast<size_t>(rank)) fail(path + ": truncated IDX header");
  std::vector<uint32_t> d;
  uint64_t count = 1;
  for (int i = 0; i < rank; ++i) {
    d.push_back(be32(b, 4 + 4 * i));
    count *= d.back();
  }
  if (b.size() != 4 + 4 * static_cast<size_t>(rank) + count)
    fail(path + ": holds " + std::to_string(b.size() - 4 - 4 * rank) + " data bytes, its header says " +
         std::to_string(count) + " (truncated?)");
  return d;
}

std::string find_file(const fs::path& dir, const std::string& stem) {
  for (const char* ext : {".gz", ""}) {
    const fs::path p = dir / (stem + ext);
    if (fs::exists(p)) return p.string();
  }
  fail(dir.string() + ": no " + stem + "[.gz] in this IDX directory");
}

class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& dir, DatasetSplit split) {
    path_ = dir;
    kind_ = "idx";
    const std::string pre = split == DatasetSplit::train ? "train" : "t10k";
    const std::string ip = find_file(dir, pre + "-images-idx3-ubyte");
    const std::string lp = find_file(dir, pre + "-labels-idx1-ubyte");
    images_ = read_maybe_gzip(ip);
    const std::string lb = read_maybe_gzip(lp);
    const auto d = idx_dims(images_, ip, 3);
    const auto ld = idx_dims(lb, lp, 1);
    if (d[0] != ld[0])
      fail(lp + ": " + std::to_string(ld[0]) + " labels for " + std::to_string(d[0]) + " images in " + ip);
    if (d[0] == 0) fail(ip + ": holds no images");
    n_ = d[0];
    h_ = static_cast<int>(d[1]);
    w_ = static_cast<int>(d[2]);
    offset_ = 16;
    int max_label = 0;
    labels_.resize(n_);
    for (int64_t i = 0; i < n_; ++i) {
      labels_[i] = static_cast<uint8_t>(lb[8 + i]);
      max_label = std::max(max_label, static_cast<int>(labels_[i]));
    }
    const bool fashion = dir.find("fashion") != std::string::npos;
    if (fashion && max_label < 10) {
      class_names_ = fashion_mnist_classes();
    } else {
      for (int c = 0; c <= std::max(max_label, 9); ++c) class_names_.push_back(std::to_string(c));
    }
  }
  int64_t size() const override { return n_; }
  int32_t label(int64_t i) const override { return labels_[i]; }
  std::string name_of(int64_t i) const override { return path_ + "#" + std::to_string(i); }
  Image read(int64_t i) const override {
    Image img;
    img.height = h_;
    img.width = w_;
    img.rgb.resize(static_cast<size_t>(h_) * w_ * 3);
    const uint8_t* src = reinterpret_cast<const uint8_t*>(images_.data()) + offset_ + i * h_ * w_;
    for (int p = 0; p < h_ * w_; ++p) img.rgb[3 * p] = img.rgb[3 * p + 1] = img.rgb[3 * p + 2] = src[p];
    return img;
  }

 private:
  std::string images_;
  std::vector<int32_t> labels_;
  int64_t n_ = 0, offset_ = 0;
  int h_ = 0, w_ = 0;
};

}  // namespace

std::unique_ptr<Dataset> make_idx_dataset(const std::string& dir, DatasetSplit split) {
  return std::make_unique<IdxDataset>(dir, split);
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                              "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};
  return names;
}

}  // namespace alexnet
