// The input pipeline: crop coordinates, flips, the PCA noise on a constant image,
// normalisation, the 10 crops, readers on files the test makes, bad input, determinism
// across worker counts.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "data/dataset.hpp"
#include "image/image_header.hpp"
#include "data/loader.hpp"
#include "data/stats.hpp"
#include "data/transform.hpp"
#include "test_util.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

fs::path tmpdir(const std::string& name) {
  const fs::path d = test::temp_root() / "alexnet_data_test" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// A W x H image whose pixel (x, y) is (x, y, 7) in RGB.
Image coords_image(int w, int h) {
  Image img;
  img.width = w;
  img.height = h;
  img.rgb.resize(static_cast<size_t>(w) * h * 3);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      img.row(y)[3 * x] = static_cast<uint8_t>(x);
      img.row(y)[3 * x + 1] = static_cast<uint8_t>(y);
      img.row(y)[3 * x + 2] = 7;
    }
  return img;
}

TransformConfig plain_tf(int s, int c) {
  TransformConfig tf;
  tf.resize = s;
  tf.crop = c;
  tf.pca_std = 0;
  return tf;  // norm: mean 0, std 1
}

TEST(Transform, CentreCropAndTenCropsHaveThePapersCoordinates) {
  EXPECT_EQ(center_crop(256, 227), (Crop{14, 14, false}));
  EXPECT_EQ(center_crop(256, 224), (Crop{16, 16, false}));
  EXPECT_EQ(center_crop(32, 28), (Crop{2, 2, false}));
  const auto k = ten_crops(256, 227);
  EXPECT_EQ(k[0], (Crop{0, 0, false}));
  EXPECT_EQ(k[1], (Crop{0, 29, false}));
  EXPECT_EQ(k[2], (Crop{29, 0, false}));
  EXPECT_EQ(k[3], (Crop{29, 29, false}));
  EXPECT_EQ(k[4], (Crop{14, 14, false}));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(k[i + 5], (Crop{k[i].y, k[i].x, true}));
}

TEST(Transform, RandomCropsCoverEveryOffsetAndFlipHalfTheTime) {
  Rng rng(3);
  std::vector<int> seen(30, 0);
  int flips = 0;
  for (int i = 0; i < 20000; ++i) {
    const Crop c = random_crop(256, 227, true, rng);
    ASSERT_GE(c.x, 0);
    ASSERT_LE(c.x, 29);
    ASSERT_LE(c.y, 29);
    seen[c.x]++;
    flips += c.flip;
  }
  for (int x = 0; x < 30; ++x) EXPECT_GT(seen[x], 500) << x;
  EXPECT_NEAR(flips / 20000.0, 0.5, 0.02);
}

TEST(Transform, CropReadsTheRightPixelsAndFlipMirrorsThem) {
  const Image img = coords_image(32, 32);
  const TransformConfig tf = plain_tf(32, 28);
  std::vector<float> out(3 * 28 * 28);
  crop_to_tensor(img, Crop{3, 1, false}, tf, {0, 0, 0}, out.data());
  EXPECT_EQ(out[0], 1.f);                 // R = x of the source pixel (1, 3)
  EXPECT_EQ(out[28 * 28], 3.f);           // G = y
  EXPECT_EQ(out[2 * 28 * 28], 7.f);       // B
  EXPECT_EQ(out[5 * 28 + 10], 11.f);      // x = 1 + 10
  EXPECT_EQ(out[28 * 28 + 5 * 28 + 10], 8.f);  // y = 3 + 5
  crop_to_tensor(img, Crop{3, 1, true}, tf, {0, 0, 0}, out.data());
  EXPECT_EQ(out[0], 28.f);                // the first column is the crop's last: x = 1 + 27
  EXPECT_EQ(out[27], 1.f);
}

// Caffe's nets take B, G, R: the channels swap, the normalisation stays in input order, and the
// colour offset and mean image (RGB) follow their source channel.
TEST(Transform, BgrInputForCaffe) {
  const Image img = coords_image(4, 4);  // R = x, G = y, B = 7
  TransformConfig tf = plain_tf(4, 4);
  tf.bgr = true;
  tf.mean_image.assign(4 * 4 * 3, 0.f);
  for (size_t p = 0; p < 16; ++p) tf.mean_image[p * 3 + 2] = 0.5f;  // mean of B
  std::vector<float> out(3 * 16);
  crop_to_tensor(img, Crop{0, 0, false}, tf, {10, 20, 30}, out.data());
  EXPECT_FLOAT_EQ(out[0], 7 + 30 - 0.5f);   // channel 0 = B (+ B's offset - B's mean)
  EXPECT_FLOAT_EQ(out[16 + 8], 2 + 20);     // channel 1 = G at y=2
  EXPECT_FLOAT_EQ(out[32 + 3], 3 + 10);     // channel 2 = R at x=3
  EXPECT_TRUE(test_transform(arch_by_name("alexnet-caffe"), std::nullopt, {}).bgr);
  EXPECT_FALSE(test_transform(arch_by_name("alexnet"), std::nullopt, {}).bgr);
}

TEST(Transform, NormalisationAndMeanImage) {
  const Image img = coords_image(4, 4);
  TransformConfig tf = plain_tf(4, 4);
  tf.norm = {{1, 2, 3}, {2, 4, 8}};
  std::vector<float> out(3 * 16);
  crop_to_tensor(img, Crop{0, 0, false}, tf, {0, 0, 0}, out.data());
  EXPECT_FLOAT_EQ(out[3], (3 - 1) / 2.f);          // R at x=3
  EXPECT_FLOAT_EQ(out[16 + 8], (2 - 2) / 4.f);     // G at y=2
  EXPECT_FLOAT_EQ(out[32], (7 - 3) / 8.f);         // B
  tf.norm = {};
  tf.mean_image.assign(4 * 4 * 3, 0.f);
  tf.mean_image[(1 * 4 + 2) * 3 + 0] = 100.f;      // R at (x=2, y=1)
  crop_to_tensor(img, Crop{0, 0, false}, tf, {0, 0, 0}, out.data());
  EXPECT_FLOAT_EQ(out[1 * 4 + 2], 2 - 100.f);
  crop_to_tensor(img, Crop{0, 0, true}, tf, {0, 0, 0}, out.data());
  EXPECT_FLOAT_EQ(out[1 * 4 + 1], 2 - 100.f);      // mirrored: output x=1 reads source x=2
}

TEST(Transform, PcaNoiseOnAConstantImageIsOneOffsetAlongTheEigenvectors) {
  Image img;
  img.width = img.height = 8;
  img.rgb.assign(8 * 8 * 3, 100);
  TransformConfig tf = plain_tf(8, 8);
  Rng a(11), b(11);
  const auto off = pca_offset(tf.pca, 0.1f, a);
  // The same draws by hand: offset_c = 255 * sum_i alpha_i lambda_i p_i[c].
  double want[3] = {0, 0, 0};
  for (int i = 0; i < 3; ++i) {
    const double alpha = b.normal() * 0.1;
    for (int c = 0; c < 3; ++c) want[c] += 255 * alpha * tf.pca.values[i] * tf.pca.vectors[i][c];
  }
  std::vector<float> out(3 * 64);
  crop_to_tensor(img, Crop{0, 0, false}, tf, off, out.data());
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 64; ++p) ASSERT_NEAR(out[c * 64 + p], 100 + want[c], 1e-3);
  EXPECT_GT(std::abs(want[0]) + std::abs(want[1]) + std::abs(want[2]), 1e-3);
}

TEST(Image, ShorterSideThenCentreSquare) {
  const Image r = resize_shorter_center(coords_image(200, 100), 50);
  EXPECT_EQ(r.width, 50);
  EXPECT_EQ(r.height, 50);
  // 200x100 -> 100x50, centre 50 columns start at 25: source x ~ 2 * 25 = 50.
  EXPECT_NEAR(r.row(0)[0], 50, 1.5);
  EXPECT_NEAR(r.row(0)[3 * 49], 148, 1.5);
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

// A small IDX set: n images of 28x28 whose pixels are all equal to their label * 20; the train
// split gzipped, the test split not.
fs::path make_idx(const std::string& name, int n) {
  const fs::path d = test::write_idx_dir(tmpdir(name), n, [](int i, int) { return static_cast<uint8_t>((i % 10) * 20); });
  for (const char* f : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte"}) {
    write_gz((d / (std::string(f) + ".gz")).string(), read_file((d / f).string()));
    fs::remove(d / f);
  }
  return d;
}

TEST(Datasets, IdxGzippedOrNot) {
  const fs::path d = make_idx("idx", 30);
  auto tr = open_dataset(d.string(), "auto", DatasetSplit::train);
  auto te = open_dataset(d.string(), "auto", DatasetSplit::test);
  EXPECT_EQ(tr->kind(), "idx");
  EXPECT_EQ(tr->size(), 30);
  EXPECT_EQ(te->size(), 30);
  EXPECT_EQ(tr->label(13), 3);
  const Image img = tr->read(13);
  EXPECT_EQ(img.width, 28);
  EXPECT_EQ(img.row(5)[3 * 7 + 1], 60);  // gray repeated to RGB
  // truncated label file
  const std::string lab = read_file((d / "t10k-labels-idx1-ubyte").string());
  write_file_atomic((d / "t10k-labels-idx1-ubyte").string(), lab.substr(0, lab.size() - 3));
  EXPECT_THROW(open_dataset(d.string(), "idx", DatasetSplit::test), UserError);
}

void write_png_file(const fs::path& p, int w, int h, int value, int channels = 3) {
  cv::Mat m(h, w, channels == 1 ? CV_8UC1 : (channels == 4 ? CV_8UC4 : CV_8UC3), cv::Scalar::all(value));
  cv::imwrite(p.string(), m);
}

TEST(Datasets, FolderListAndBadInput) {
  const fs::path root = tmpdir("folder");
  fs::create_directories(root / "cat");
  fs::create_directories(root / "ant");
  write_png_file(root / "cat" / "a.png", 40, 30, 10);
  write_png_file(root / "cat" / "b.jpg", 30, 40, 20, 1);  // grayscale JPEG
  write_png_file(root / "ant" / "c.png", 30, 30, 30, 4);  // with alpha
  write_file_atomic((root / "ant" / "broken.jpg").string(), "not really a jpeg");
  write_file_atomic((root / "ant" / "empty.png").string(), "");
  auto d = open_dataset(root.string(), "auto", DatasetSplit::train);
  EXPECT_EQ(d->kind(), "folder");
  EXPECT_EQ(d->class_names(), (std::vector<std::string>{"ant", "cat"}));
  EXPECT_EQ(d->size(), 5);
  int broken = 0;
  for (int64_t i = 0; i < d->size(); ++i) {
    try {
      const Image img = d->read(i);
      EXPECT_EQ(img.rgb.size(), static_cast<size_t>(img.width) * img.height * 3);
    } catch (const DecodeError& e) {
      ++broken;
      EXPECT_NE(std::string(e.what()).find("ant/"), std::string::npos);
    }
  }
  EXPECT_EQ(broken, 2);

  // The loader skips and names the broken files; --strict stops at the first.
  TransformConfig tf = plain_tf(32, 28);
  LoaderConfig lc;
  lc.batch = 5;
  lc.drop_last = false;
  {
    Loader l(*d, tf, lc);
    l.start_epoch(0);
    Batch b;
    ASSERT_TRUE(l.next(b));
    EXPECT_EQ(b.samples(), 3);
    EXPECT_EQ(b.failed.size(), 2u);
  }
  lc.strict = true;
  {
    Loader l(*d, tf, lc);
    l.start_epoch(0);
    Batch b;
    EXPECT_THROW(l.next(b), UserError);
  }

  // List files: relative paths, bad labels, missing files.
  const fs::path list = root / "list.txt";
  write_file_atomic(list.string(), "cat/a.png 1\nant/c.png 0\n");
  auto l = open_dataset(list.string(), "auto", DatasetSplit::train);
  EXPECT_EQ(l->kind(), "list");
  EXPECT_EQ(l->size(), 2);
  EXPECT_EQ(l->label(0), 1);
  write_file_atomic(list.string(), "cat/a.png one\n");
  EXPECT_THROW(open_dataset(list.string(), "auto", DatasetSplit::train), UserError);
  write_file_atomic(list.string(), "cat/nothere.png 1\n");
  EXPECT_THROW(open_dataset(list.string(), "auto", DatasetSplit::train), UserError);
  // A label beyond any data set is refused, not taken for 2^31 classes (found by fuzzing).
  write_file_atomic(list.string(), "cat/a.png 2147483647\n");
  try {
    open_dataset(list.string(), "auto", DatasetSplit::train);
    ADD_FAILURE() << "accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("list.txt:1: label 2147483647 is beyond any data set"), std::string::npos) << e.what();
  }
  // A name too long to look up is the list's error, not an exception (found by fuzzing).
  write_file_atomic(list.string(), std::string(300, 'x') + ".png 0\n");
  try {
    open_dataset(list.string(), "auto", DatasetSplit::train);
    ADD_FAILURE() << "accepted";
  } catch (const UserError& e) {
    EXPECT_NE(std::string(e.what()).find("list.txt:1: cannot look up"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("File name too long"), std::string::npos) << e.what();
  }
  EXPECT_THROW(open_dataset(tmpdir("empty").string(), "auto", DatasetSplit::train), UserError);
}

TEST(Image, SixteenBitPngIsScaledTo8Bit) {
  const fs::path d = tmpdir("png16");
  cv::Mat m(4, 4, CV_16UC3, cv::Scalar::all(65535));
  cv::imwrite((d / "a.png").string(), m);
  const Image img = decode_image((d / "a.png").string());
  EXPECT_EQ(img.rgb[0], 255);
}

TEST(Loader, SameBatchesWhateverTheNumberOfWorkersAndWhenResumed) {
  const fs::path d = make_idx("det", 64);
  auto data = open_dataset(d.string(), "idx", DatasetSplit::train);
  TransformConfig tf = plain_tf(32, 28);
  tf.pca_std = 0.1f;
  auto batches = [&](int workers, int64_t first) {
    LoaderConfig lc;
    lc.batch = 8;
    lc.workers = workers;
    lc.seed = 5;
    Loader l(*data, tf, lc);
    l.start_epoch(2, first);
    std::vector<Batch> out;
    Batch b;
    while (l.next(b)) out.push_back(b);
    return out;
  };
  const auto one = batches(1, 0), three = batches(3, 0), resumed = batches(2, 5);
  ASSERT_EQ(one.size(), 8u);
  ASSERT_EQ(three.size(), 8u);
  ASSERT_EQ(resumed.size(), 3u);
  for (size_t i = 0; i < one.size(); ++i) {
    EXPECT_EQ(one[i].images, three[i].images);
    EXPECT_EQ(one[i].labels, three[i].labels);
  }
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(resumed[i].images, one[5 + i].images);
  // Another epoch, another order.
  LoaderConfig lc;
  lc.seed = 5;
  Loader l(*data, tf, lc);
  EXPECT_NE(l.epoch_order(2), l.epoch_order(3));
}

TEST(Stats, ConstantImagesHaveTheirValueAsMeanAndZeroVariance) {
  const fs::path d = make_idx("stats", 10);
  auto data = open_dataset(d.string(), "idx", DatasetSplit::train);
  const DataStats s = compute_stats(*data, 32, 0, 2);
  EXPECT_EQ(s.images, 10);
  EXPECT_NEAR(s.norm.mean[0], 90.0, 1e-3);  // labels 0..9 -> values 0..180
  EXPECT_NEAR(s.norm.std[1], std::sqrt(3300.0), 1e-2);  // variance of {0, 20, ..., 180}
  // Gray data: one direction, (1,1,1)/sqrt(3), carries all the variance.
  EXPECT_NEAR(std::abs(s.pca.vectors[0][0]), 1 / std::sqrt(3.0), 1e-4);
  EXPECT_NEAR(s.pca.values[1], 0, 1e-6);
  EXPECT_NEAR(s.mean_image[0], 90.0, 1e-3);
}

}  // namespace
}  // namespace alexnet

namespace alexnet {
namespace {

// A PNG whose header claims 100000 x 100000 pixels: refused from the header, at once.
TEST(Image, DecompressionBombIsRefusedFromTheHeader) {
  auto chunk = [](const std::string& type, const std::string& data) {
    std::string c = test::be32(static_cast<uint32_t>(data.size())) + type + data;
    const uLong crc = crc32(crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef*>(c.data() + 4), static_cast<uInt>(c.size() - 4));
    return c + test::be32(static_cast<uint32_t>(crc));
  };
  const std::string ihdr = test::be32(100000) + test::be32(100000) + std::string("\x08\x02\x00\x00\x00", 5);
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", std::string(16, '\0')) + chunk("IEND", "");
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_THROW(decode_image_bytes(png, "bomb.png"), DecodeError);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 2.0);
}

}  // namespace
}  // namespace alexnet

namespace alexnet {
namespace {

TEST(Datasets, AValidationFolderWithFewerClassesKeepsTheTrainingLabels) {
  const fs::path root = tmpdir("align");
  for (const char* c : {"cat", "dog"}) {
    fs::create_directories(root / c);
    write_png_file(root / c / "a.png", 8, 8, 10);
  }
  const std::vector<std::string> train{"ant", "cat", "dog"};
  auto d = align_classes(open_dataset(root.string(), "folder", DatasetSplit::test), train);
  EXPECT_EQ(d->label(0), 1);  // cat: its own index 0, the training set's 1
  EXPECT_EQ(d->label(1), 2);
  EXPECT_EQ(d->class_names(), train);
  EXPECT_THROW(align_classes(open_dataset(root.string(), "folder", DatasetSplit::test), {"cat", "emu"}), UserError);
}

}  // namespace
}  // namespace alexnet

namespace alexnet {
namespace {

// The sizes the bomb check reads from headers, for every format OpenCV writes here.
TEST(Image, HeaderSizeOfEveryFormat) {
  Image img;
  img.height = 23, img.width = 37;
  img.rgb.assign(23 * 37 * 3, 128);
  for (const char* ext : {".png", ".jpg", ".bmp", ".webp", ".ppm", ".tiff"}) {
    const std::string bytes = encode_image(img, ext, 90, ext);
    const auto size = image_header_size(bytes);
    ASSERT_TRUE(size) << ext;
    EXPECT_EQ(size->width, 37) << ext;
    EXPECT_EQ(size->height, 23) << ext;
  }
  EXPECT_FALSE(image_header_size("GIF89a"));
  EXPECT_FALSE(image_header_size(std::string("\x89PNG\r\n\x1a\n", 8)));  // cut short
  EXPECT_FALSE(image_header_size(std::string("\xFF\xD8\xFF", 3)));
}

TEST(Image, TheLimitIsTheOneInForce) {
  Image img;
  img.height = 100, img.width = 200;
  img.rgb.assign(100 * 200 * 3, 7);
  const std::string png = encode_image(img, ".png", 90, "t");
  set_max_image_pixels(10'000);
  EXPECT_THROW(decode_image_bytes(png, "t.png"), DecodeError);
  set_max_image_pixels(kMaxImagePixels);
  EXPECT_EQ(decode_image_bytes(png, "t.png").width, 200);
}

// A data set whose reads run out of memory: the loader's worker thread hands the exception to
// next(), on the training thread, instead of ending the process (seen under `ulimit -v`).
TEST(Loader, AnExceptionOnAWorkerReachesTheConsumer) {
  struct OutOfMemory : Dataset {
    OutOfMemory() { class_names_ = {"a"}; }
    int64_t size() const override { return 8; }
    int32_t label(int64_t) const override { return 0; }
    Image read(int64_t) const override { throw std::bad_alloc(); }
    std::string name_of(int64_t i) const override { return std::to_string(i); }
  } data;
  LoaderConfig lc;
  lc.batch = 4;
  lc.workers = 2;
  Loader l(data, plain_tf(32, 28), lc);
  l.start_epoch(0);
  Batch b;
  EXPECT_THROW(l.next(b), std::bad_alloc);
}

}  // namespace
}  // namespace alexnet
