// Caffe's files: a .caffemodel in both layer forms (the current `layer` and the 2014 model
// zoo's `layers` with 4-D blob dims), its deploy.prototxt and a mean .binaryproto, written here
// through the schema's generated classes from a network with hash-generated weights. Our
// logits are checked against OpenCV's dnn module, which reads Caffe's files with a schema of
// its own; hostile files give one-line errors.
#include <gtest/gtest.h>
#include <google/protobuf/text_format.h>

#include <filesystem>
#include <fstream>

#include "caffe_net.pb.h"
#include "data/stats.hpp"
#include "formats/caffe_model.hpp"
#include "formats/weights.hpp"
#include "image/image.hpp"
#include "golden.hpp"
#include "test_util.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

#ifdef ALEXNET_HAVE_OPENCV_DNN
#include <opencv2/dnn.hpp>
#endif

namespace alexnet {
namespace {

namespace fs = std::filesystem;
using alexnet_caffe::NetParameter;

void set_blob(alexnet_caffe::BlobProto* b, const Param& p, bool v1) {
  std::vector<int64_t> d = p.shape;
  if (v1) {  // the 4-D num, channels, height, width of 2014's files
    while (d.size() < 4) d.insert(d.begin(), 1);
    b->set_num(static_cast<int>(d[0])), b->set_channels(static_cast<int>(d[1]));
    b->set_height(static_cast<int>(d[2])), b->set_width(static_cast<int>(d[3]));
  } else {
    for (int64_t v : d) b->mutable_shape()->add_dim(v);
  }
  b->mutable_data()->Add(p.value, p.value + p.size());
}

// Caffe's description of `net` (conv, ReLU, LRN, pooling ... inner products), in the current
// or the V1 form, with the weights or without (a deploy.prototxt).
NetParameter caffe_net(Network& net, bool v1, bool weights, float lrn_k) {
  NetParameter n;
  n.set_name("AlexNet");
  n.add_input("data");
  for (int v : {1, 3, 227, 227}) n.add_input_dim(v);
  std::string prev = "data";
  auto add = [&](const std::string& name, const std::string& type, bool in_place) {
    const std::string top = in_place ? prev : name;
    if (v1) {
      auto* l = n.add_layers();
      l->set_name(name), l->add_bottom(prev), l->add_top(top);
      using V1 = alexnet_caffe::V1LayerParameter;
      l->set_type(type == "Convolution" ? V1::CONVOLUTION : type == "InnerProduct" ? V1::INNER_PRODUCT
                  : type == "LRN" ? V1::LRN : type == "Pooling" ? V1::POOLING : type == "ReLU" ? V1::RELU : V1::DROPOUT);
      prev = top;
      return std::tuple{l->mutable_convolution_param(), l->mutable_inner_product_param(), l->mutable_lrn_param(),
                        l->mutable_pooling_param(), l->mutable_blobs()};
    }
    auto* l = n.add_layer();
    l->set_name(name), l->set_type(type), l->add_bottom(prev), l->add_top(top);
    prev = top;
    return std::tuple{l->mutable_convolution_param(), l->mutable_inner_product_param(), l->mutable_lrn_param(),
                      l->mutable_pooling_param(), l->mutable_blobs()};
  };
  auto blobs = [&](auto* into, const std::string& file) {
    if (!weights) return;
    set_blob(into->Add(), *net.find_param(file + ".weight"), v1);
    set_blob(into->Add(), *net.find_param(file + ".bias"), v1);
  };
  for (const ConvRow& r : net.arch().convs) {
    auto [conv, fc, lrn, pool, b] = add(r.name, "Convolution", false);
    conv->set_num_output(r.out), conv->add_kernel_size(r.kernel), conv->add_stride(r.stride);
    conv->add_pad(r.pad), conv->set_group(r.groups);
    blobs(b, r.file);
    add(std::string("relu") + (r.name + 4), "ReLU", true);
    if (r.lrn) {
      auto* p = std::get<2>(add(std::string("norm") + (r.name + 4), "LRN", false));
      p->set_local_size(5), p->set_alpha(1e-4f), p->set_beta(0.75f), p->set_k(lrn_k);
    }
    if (r.pool) {
      auto* p = std::get<3>(add(std::string("pool") + (r.name + 4), "Pooling", false));
      p->set_pool(alexnet_caffe::PoolingParameter::MAX), p->set_kernel_size(3), p->set_stride(2);
    }
  }
  for (const FcRow& r : net.arch().fcs) {
    auto [conv, fc, lrn, pool, b] = add(r.name, "InnerProduct", false);
    fc->set_num_output(r.out ? r.out : net.classes());
    blobs(b, r.file);
    if (r.relu) add(std::string("relu") + (r.name + 2), "ReLU", true);
  }
  return n;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Files {
  fs::path model, prototxt;
};

Files write_caffe(Network& net, const std::string& stem, bool v1, float lrn_k) {
  const fs::path dir = test::temp_root() / "caffe_test";
  fs::create_directories(dir);
  Files f{dir / (stem + ".caffemodel"), dir / (stem + ".prototxt")};
  write_file_atomic(f.model.string(), caffe_net(net, v1, true, lrn_k).SerializeAsString());
  std::string text;
  google::protobuf::TextFormat::PrintToString(caffe_net(net, v1, false, lrn_k), &text);
  write_file_atomic(f.prototxt.string(), text);
  return f;
}

// bvlc_alexnet's layout at full size, both forms: read as alexnet-caffe (LRN k = 1), the
// prototxt checked, and the logits equal OpenCV dnn's on the same files within 1e-4.
TEST(Caffe, BothLayerFormsGiveOpenCvsLogits) {
  Network src(arch_by_name("alexnet-caffe"), 1000);
  src.init(InitKind::kaiming, 3);
  for (bool v1 : {false, true}) {
    SCOPED_TRACE(v1 ? "V1 layers" : "layer");
    const Files f = write_caffe(src, v1 ? "v1" : "v2", v1, 1.f);
    LoadedModel m = load_model(f.model.string(), "");
    EXPECT_EQ(m.net->arch().name, "alexnet-caffe");
    EXPECT_EQ(m.net->classes(), 1000);
    check_caffe_prototxt(f.prototxt.string(), m.net->arch());
    Tensor x = Tensor::plain(m.net->input_shape(2));
    test::pattern(x.data(), x.size(), 7, 60.0);  // inputs on the 0-255 scale less the mean
    const Tensor& ours = m.net->forward(x, Mode::eval);
#ifdef ALEXNET_HAVE_OPENCV_DNN
    cv::dnn::Net cvnet = cv::dnn::readNetFromCaffe(f.prototxt.string(), f.model.string());
    const int shape[] = {2, 3, 227, 227};
    cvnet.setInput(cv::Mat(4, shape, CV_32F, x.data()));
    const cv::Mat theirs = cvnet.forward("fc8");
    ASSERT_EQ(static_cast<int64_t>(theirs.total()), ours.size());
    double scale = 0;
    for (int64_t i = 0; i < ours.size(); ++i) scale = std::max(scale, std::abs(static_cast<double>(ours.data()[i])));
    for (int64_t i = 0; i < ours.size(); ++i)
      ASSERT_NEAR(ours.data()[i], theirs.ptr<float>()[i], 1e-4 * scale) << i;
#endif
  }
}

// LRN k = 2 is the paper's net; a prototxt whose layer differs is one line naming it.
TEST(Caffe, LrnBiasTwoIsThePapersNetAndAPrototxtIsChecked) {
  Network src(arch_by_name("alexnet"), 10);
  src.init(InitKind::kaiming, 4);
  const Files f = write_caffe(src, "paper", false, 2.f);
  EXPECT_EQ(load_model(f.model.string(), "").net->arch().name, "alexnet");
  std::string text = read_file(f.prototxt.string());
  text.replace(text.find("group: 2"), 8, "group: 1");  // conv2's
  write_file_atomic(f.prototxt.string(), text);
  const std::string e = error_of([&] { check_caffe_prototxt(f.prototxt.string(), arch_by_name("alexnet")); });
  EXPECT_NE(e.find("layer 'conv2' has 256 outputs, kernel 5, stride 1, pad 2, group 1"), std::string::npos) << e;
}

// Truncated files, blobs whose data contradict their shapes, wrong shapes, CaffeNet's layer
// order, a mean file of the wrong shape: each a one-line error naming the file.
TEST(Caffe, HostileFilesAreOneLineErrors) {
  Network src(arch_by_name("alexnet-caffe"), 10);
  src.init(InitKind::kaiming, 5);
  const fs::path bad = test::temp_root() / "caffe_test" / "bad.caffemodel";
  fs::create_directories(bad.parent_path());
  auto error_with = [&](const std::string& b) {
    write_file_atomic(bad.string(), b);
    return error_of([&] { load_model(bad.string(), ""); });
  };
  // Most faults show before the fc layers are read: a file with conv1's weights alone serves.
  auto conv1_only = [&] {
    NetParameter n = caffe_net(src, false, false, 1.f);
    set_blob(n.mutable_layer(0)->add_blobs(), *src.find_param("conv1.weight"), false);
    set_blob(n.mutable_layer(0)->add_blobs(), *src.find_param("conv1.bias"), false);
    return n;
  };
  const std::string light = conv1_only().SerializeAsString();
  EXPECT_NE(error_with(light.substr(0, light.size() / 2)).find("not a Caffe model"), std::string::npos);
  EXPECT_NE(error_with(light).find("layer 'conv2' has 0 blobs, expected 2 (weights, bias)"), std::string::npos);
  NetParameter n = conv1_only();
  n.mutable_layer(0)->mutable_blobs(0)->mutable_data()->RemoveLast();
  EXPECT_NE(error_with(n.SerializeAsString()).find("layer 'conv1' weights: shape [96, 3, 11, 11] needs 34848 values, the blob holds 34847"),
            std::string::npos);
  n = conv1_only();
  n.mutable_layer(0)->mutable_blobs(0)->mutable_shape()->set_dim(0, int64_t{1} << 40);
  EXPECT_NE(error_with(n.SerializeAsString()).find("is not a shape"), std::string::npos);
  n = conv1_only();
  std::swap(*n.mutable_layer(2), *n.mutable_layer(3));  // pool1 before norm1: CaffeNet
  EXPECT_NE(error_with(n.SerializeAsString()).find("CaffeNet's order"), std::string::npos);
  n = caffe_net(src, false, true, 1.f);  // a whole file whose conv3 has half its input channels
  for (auto& l : *n.mutable_layer())
    if (l.name() == "conv3") {
      l.mutable_blobs(0)->mutable_shape()->set_dim(1, 128);
      l.mutable_blobs(0)->mutable_data()->Truncate(384 * 128 * 9);
    }
  EXPECT_NE(error_with(n.SerializeAsString()).find("conv3.weight"), std::string::npos);
  alexnet_caffe::BlobProto mean;
  for (int64_t d : {3, 256, 255}) mean.mutable_shape()->add_dim(d);
  mean.mutable_data()->Resize(3 * 256 * 255, 0.f);
  const fs::path mp = bad.parent_path() / "mean.binaryproto";
  write_file_atomic(mp.string(), mean.SerializeAsString());
  EXPECT_NE(error_of([&] { read_caffe_mean(mp.string()); }).find("expected [3, S, S]"), std::string::npos);
}

// The two commands from Caffe's files to a photo's classes: convert (the prototxt checked, the
// mean image carried along), then predict on the converted weights; a mean image of another
// size is a one-line error with exit code 2.
TEST(Caffe, ConvertCarriesTheMeanImageToPredict) {
  Network src(arch_by_name("alexnet-caffe"), 10);
  src.init(InitKind::kaiming, 6);
  const Files f = write_caffe(src, "cli", true, 1.f);
  const fs::path dir = f.model.parent_path();
  alexnet_caffe::BlobProto mean;
  mean.set_num(1), mean.set_channels(3), mean.set_height(256), mean.set_width(256);
  for (int i = 0; i < 3 * 256 * 256; ++i) mean.add_data(static_cast<float>(100 + i % 50));
  write_file_atomic((dir / "mean.binaryproto").string(), mean.SerializeAsString());
  const std::string bin = ALEXNET_BINARY, out = (dir / "cli.safetensors").string();
  const test::Result c = test::run_shell(bin + " convert " + f.model.string() + " " + out + " --prototxt " +
                                         f.prototxt.string() + " --mean " + (dir / "mean.binaryproto").string());
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("(alexnet-caffe, 10 classes)"), std::string::npos) << c.out;
  const LoadedModel m = load_model(out, "");
  ASSERT_EQ(m.info.mean_image.size(), 3u * 256 * 256);
  EXPECT_EQ(m.info.mean_image[0], 100.f + (2 * 256 * 256) % 50);  // pixel 0 red: the R (third) plane first
  Image img;
  img.height = img.width = 300;
  img.rgb.assign(300 * 300 * 3, 128);
  write_png((dir / "grey.png").string(), img);
  const test::Result p = test::run_shell(bin + " predict --weights " + out + " --topk 2 " + (dir / "grey.png").string());
  EXPECT_EQ(p.code, 0) << p.out;
  mean.set_height(128), mean.set_width(128);
  mean.mutable_data()->Truncate(3 * 128 * 128);
  write_file_atomic((dir / "small.binaryproto").string(), mean.SerializeAsString());
  const test::Result e = test::run_shell(bin + " convert " + f.model.string() + " " + out + " --mean " +
                                         (dir / "small.binaryproto").string());
  EXPECT_EQ(e.code, 2) << e.out;
  EXPECT_NE(e.out.find("a 128x128 mean image; alexnet-caffe needs 256x256"), std::string::npos) << e.out;
}

// The mean file's B, G, R planes become an R, G, B image.
TEST(Caffe, MeanBinaryprotoIsReadAsAnRgbImage) {
  alexnet_caffe::BlobProto mean;
  mean.set_num(1), mean.set_channels(3), mean.set_height(2), mean.set_width(2);
  for (float v : {10, 11, 12, 13, 20, 21, 22, 23, 30, 31, 32, 33}) mean.add_data(v);  // B, G, R planes
  fs::create_directories(test::temp_root());
  const fs::path p = test::temp_root() / "caffe_test_mean.binaryproto";
  write_file_atomic(p.string(), mean.SerializeAsString());
  const MeanImage m = read_caffe_mean(p.string());
  EXPECT_EQ(m.size, 2);
  EXPECT_EQ(m.rgb, (std::vector<float>{30, 20, 10, 31, 21, 11, 32, 22, 12, 33, 23, 13}));
  // ... and as `train --stats`' statistics: that image, its channel means.
  const DataStats st = load_stats(p.string());
  EXPECT_EQ(st.resize, 2);
  EXPECT_EQ(st.mean_image, m.rgb);
  EXPECT_EQ(st.norm.mean, (std::array<float, 3>{31.5f, 21.5f, 11.5f}));
}

}  // namespace
}  // namespace alexnet
