// Weight files users bring (tests/data/interop/, written by PyTorch itself with
// tools/make_interop_fixtures.py: alexnet-mini with the golden weights) and ONNX out: each
// read file gives PyTorch's golden logits; hostile files are one-line UserErrors; our ONNX
// export passes the checker, reads back, and runs in OpenCV's dnn module to our logits.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <zip.h>

#include <filesystem>
#include <fstream>

#include "golden.hpp"
#include "formats/float_convert.hpp"
#include "formats/torch_file.hpp"
#include "formats/onnx_export.hpp"
#include "formats/weight_formats.hpp"
#include "formats/weights.hpp"
#include "test_util.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

#ifdef ALEXNET_HAVE_OPENCV_DNN
#include <opencv2/dnn.hpp>
#endif

namespace alexnet {
namespace {

namespace fs = std::filesystem;
const std::string kDir = std::string(ALEXNET_TEST_DATA) + "/interop/";

// The golden input's logits through a loaded model, against PyTorch's (golden file).
void expect_golden_logits(Network& net, double tol) {
  SafetensorsFile g = read_safetensors(std::string(ALEXNET_TEST_DATA) + "/golden_alexnet-mini.safetensors");
  const int batch = std::stoi(g.metadata.at("batch"));
  Tensor x = Tensor::plain(net.input_shape(batch));
  test::pattern(x.data(), x.size(), 1, 4.0);
  const Tensor& logits = net.forward(x, Mode::eval);
  const auto& want = g.tensors.at("logits").data;
  ASSERT_EQ(logits.size(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(logits.data()[i], want[i], tol * (1 + std::abs(want[i]))) << i;
}

std::string error_of(const std::string& path) {
  try {
    load_model(path, "");
  } catch (const UserError& e) {
    return e.what();
  }
  return "(no error)";
}

// A zip of the given entries (deflated when asked), written with libzip.
std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries, bool deflate = false) {
  const fs::path p = test::temp_root() / "made.zip";
  fs::create_directories(p.parent_path());
  fs::remove(p);
  int err = 0;
  zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
  for (const auto& [name, data] : entries) {
    zip_source_t* s = zip_source_buffer(z, data.data(), data.size(), 0);
    const zip_int64_t i = zip_file_add(z, name.c_str(), s, ZIP_FL_OVERWRITE);
    zip_set_file_compression(z, static_cast<zip_uint64_t>(i), deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 9);
  }
  zip_close(z);
  return read_file(p.string());
}

// data.pkl of {'conv1.weight': tensor of `numel` floats in storage '0' of `storage_numel`}, as
// torch.save writes it (protocol 2).
std::string tensor_pickle(int numel, int storage_numel) {
  auto le32 = [](int v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  auto str = [&](const std::string& x) { return "X" + le32(static_cast<int>(x.size())) + x; };
  return "\x80\x02}" + str("conv1.weight") + "ctorch._utils\n_rebuild_tensor_v2\n((" + str("storage") +
         "ctorch\nFloatStorage\n" + str("0") + str("cpu") + "J" + le32(storage_numel) + "tQJ" + le32(0) + "J" +
         le32(numel) + "\x85J" + le32(1) + "\x85\x89)tRs.";
}

TEST(Interop, TorchStateDictsGiveTheGoldenLogits) {
  LoadedModel m = load_model(kDir + "mini.pth", "");
  EXPECT_EQ(m.net->arch().name, "alexnet-mini");  // from conv1's shape: the file has no metadata
  expect_golden_logits(*m.net, 1e-4);
}

// mini_views.pth holds four of mini.pth's tensors as views (offsets into one shared storage, a
// transposed fc weight, a strided bias), mini_half.pth four in float16: each reads back as
// mini.pth's tensor, exactly for the views, within half precision's rounding for float16.
TEST(Interop, TorchViewsAndFloat16ReadAsTheirTensors) {
  const SafetensorsFile full = parse_torch_file(read_file(kDir + "mini.pth"), "mini.pth");
  for (const char* f : {"mini_views.pth", "mini_half.pth"}) {
    SCOPED_TRACE(f);
    const bool half = std::string(f) == "mini_half.pth";
    const SafetensorsFile part = parse_torch_file(read_file(kDir + f), f);
    EXPECT_EQ(part.tensors.size(), 4u);
    for (const auto& [name, t] : part.tensors) {
      const NamedTensor& want = full.tensors.at(name);
      ASSERT_EQ(t.shape, want.shape) << name;
      ASSERT_EQ(t.data.size(), want.data.size()) << name;
      for (size_t i = 0; i < t.data.size(); ++i) {
        if (half)
          ASSERT_NEAR(t.data[i], want.data[i], std::abs(want.data[i]) * 1e-3 + 1e-7) << name << " " << i;
        else
          ASSERT_EQ(t.data[i], want.data[i]) << name << " " << i;
      }
    }
  }
}

TEST(Interop, LegacyAndMaliciousTorchFilesAreRefusedWithoutRunningAnything) {
  EXPECT_NE(error_of(kDir + "mini_legacy.pth").find("legacy (pre-1.6)"), std::string::npos);
  fs::remove("/tmp/alexnet_evil_pth_ran");
  const std::string evil = error_of(kDir + "evil.pth");
  EXPECT_NE(evil.find("'posix.system'"), std::string::npos) << evil;
  EXPECT_NE(evil.find("evil.pth"), std::string::npos) << evil;
  EXPECT_FALSE(fs::exists("/tmp/alexnet_evil_pth_ran"));
}

TEST(Interop, HostileTorchZipsAreOneLineErrors) {
  auto err = [](const std::string& bytes) {
    try {
      parse_torch_file(bytes, "x.pth");
    } catch (const UserError& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  const std::string good = read_file(kDir + "mini.pth");
  EXPECT_NE(err(good.substr(0, good.size() / 2)).find("x.pth: not a readable zip"), std::string::npos);
  const std::string floats(40, '\0');  // 10 floats
  EXPECT_EQ(err(make_zip({{"a/data.pkl", tensor_pickle(10, 10)}, {"a/data/0", floats}})), "(no error)");
  // A tensor larger than its storage, a storage larger than its entry.
  EXPECT_NE(err(make_zip({{"a/data.pkl", tensor_pickle(11, 10)}, {"a/data/0", floats}})).find("reaches element 10"),
            std::string::npos);
  EXPECT_NE(err(make_zip({{"a/data.pkl", tensor_pickle(10, 1000)}, {"a/data/0", floats}})).find("holds 10 elements"),
            std::string::npos);
  EXPECT_NE(err(make_zip({{"a/data.pkl", tensor_pickle(10, 10)}})).find("missing from the archive"), std::string::npos);
  // A zip bomb: 100 MB of zeros deflated to ~100 KB, for a storage of 10 floats: refused by its
  // stated size, before anything is inflated.
  const std::string bomb = make_zip({{"a/data.pkl", tensor_pickle(10, 10)}, {"a/data/0", std::string(100 << 20, '\0')}}, true);
  EXPECT_LT(bomb.size(), 1u << 20);
  EXPECT_NE(err(bomb).find("more than the 40 expected"), std::string::npos) << err(bomb);
  // Nesting 200 deep; an opcode no state dict uses; a truncated pickle.
  std::string deep = "\x80\x02" + std::string(200, ']') + std::string(199, 'a') + ".";
  EXPECT_NE(err(make_zip({{"a/data.pkl", deep}})).find("nested more than 64 deep"), std::string::npos);
  EXPECT_NE(err(make_zip({{"a/data.pkl", "\x80\x02i"}})).find("opcode 0x69"), std::string::npos);
  EXPECT_NE(err(make_zip({{"a/data.pkl", tensor_pickle(10, 10).substr(0, 60)}})).find("truncated file?"), std::string::npos)
      << err(make_zip({{"a/data.pkl", tensor_pickle(10, 10).substr(0, 60)}}));
  EXPECT_NE(err(make_zip({{"a/data.pkl", "\x80\x02h\x05."}})).find("memo entry 5"), std::string::npos);
  // Globals beyond the allowed ones, however spelled.
  EXPECT_NE(err(make_zip({{"a/data.pkl", "\x80\x02" "cbuiltins\neval\n."}})).find("'builtins.eval'"), std::string::npos);
}

TEST(Interop, OnnxFromPyTorchGivesTheGoldenLogits) {
  LoadedModel m = load_model(kDir + "mini.onnx", "");
  EXPECT_EQ(m.net->arch().name, "alexnet-mini");
  expect_golden_logits(*m.net, 1e-4);
}

// Ours out and back in, with metadata; a graph that is not ours names the node that differs.
TEST(Interop, OnnxExportPassesTheCheckerAndReadsBack) {
  Network net(arch_by_name("alexnet-mini"), 10);
  test::fill_golden_weights(net);
  ModelInfo info;
  info.arch = "alexnet-mini";
  for (int i = 0; i < 10; ++i) info.class_names.push_back("c" + std::to_string(i));
  info.norm = Normalization{{1, 2, 3}, {4, 5, 6}};
  const fs::path dir = test::temp_root() / "onnx";
  fs::create_directories(dir);
  const std::string path = (dir / "mini.onnx").string();
  write_onnx(net, info, path);
  LoadedModel m = load_model(path, "");
  EXPECT_EQ(m.info.class_names, info.class_names);
  ASSERT_TRUE(m.info.norm);
  EXPECT_EQ(m.info.norm->std[2], 6.f);
  expect_golden_logits(*m.net, 1e-4);

  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(read_file(path)));
  EXPECT_EQ(model.graph().input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
  {  // fc6 as Gemm with transB=0 and its weights stored [in, out]: read back to the same logits
    onnx::ModelProto t = model;
    for (auto& n : *t.mutable_graph()->mutable_node())
      if (n.name() == "fc6")
        for (auto& a : *n.mutable_attribute())
          if (a.name() == "transB") a.set_i(0);
    for (auto& init : *t.mutable_graph()->mutable_initializer())
      if (init.name() == "fc6.weight") {
        const int64_t out = init.dims(0), in = init.dims(1);
        const auto* w = reinterpret_cast<const float*>(init.raw_data().data());
        std::vector<float> wt(static_cast<size_t>(out * in));
        for (int64_t o = 0; o < out; ++o)
          for (int64_t i = 0; i < in; ++i) wt[i * out + o] = w[o * in + i];
        init.set_dims(0, in);
        init.set_dims(1, out);
        init.set_raw_data(std::string(reinterpret_cast<const char*>(wt.data()), wt.size() * sizeof(float)));
      }
    const std::string tpath = (dir / "mini_transb0.onnx").string();
    write_file_atomic(tpath, t.SerializeAsString());
    LoadedModel tm = load_model(tpath, "");
    expect_golden_logits(*tm.net, 1e-4);
  }
  for (auto& n : *model.mutable_graph()->mutable_node())
    if (n.name() == "norm2")
      for (auto& a : *n.mutable_attribute())
        if (a.name() == "bias") a.set_f(1.f);
  write_file_atomic(path, model.SerializeAsString());
  const std::string e = error_of(path);
  EXPECT_NE(e.find("node 6 (LRN 'norm2')"), std::string::npos) << e;
  EXPECT_NE(e.find("bias 1"), std::string::npos) << e;
  // An initializer whose data is shorter than its shape says.
  ASSERT_TRUE(model.ParseFromString(read_file(kDir + "mini.onnx")));
  for (auto& t : *model.mutable_graph()->mutable_initializer())
    if (t.dims_size() == 4 && t.has_raw_data()) {
      t.set_dims(0, t.dims(0) + 1);
      break;
    }
  write_file_atomic(path, model.SerializeAsString());
  EXPECT_NE(error_of(path).find("its shape needs"), std::string::npos) << error_of(path);
  write_file_atomic(path, read_file(kDir + "mini.onnx").substr(0, 5000));
  EXPECT_NE(error_of(path).find("not a readable ONNX model"), std::string::npos) << error_of(path);
}

// Caffe's net differs from the paper's only in LRN's bias: the graph tells them apart.
TEST(Interop, OnnxOfTheCaffeNetIsReadAsAlexnetCaffe) {
  Network net(arch_by_name("alexnet-caffe"), 10);
  net.init(InitKind::paper, 3);
  ModelInfo info;  // no metadata: the graph alone must say which net it is
  const fs::path dir = test::temp_root() / "onnx";
  fs::create_directories(dir);
  const std::string path = (dir / "caffe.onnx").string();
  write_onnx(net, info, path);
  onnx::ModelProto model;
  ASSERT_TRUE(model.ParseFromString(read_file(path)));
  model.clear_metadata_props();
  write_file_atomic(path, model.SerializeAsString());
  LoadedModel m = load_model(path, "");
  EXPECT_EQ(m.net->arch().name, "alexnet-caffe");
  EXPECT_EQ(m.net->find_param("fc7.weight")->value[12345], net.find_param("fc7.weight")->value[12345]);
}

#ifdef ALEXNET_HAVE_OPENCV_DNN
TEST(Interop, OpenCvDnnRunsOurOnnxToOurLogits) {
  Network net(arch_by_name("alexnet-mini"), 10);
  test::fill_golden_weights(net);
  ModelInfo info;
  info.arch = "alexnet-mini";
  const std::string bytes = export_onnx(net, info);
  cv::dnn::Net cvnet = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
  const int batch = 4;
  Tensor x = Tensor::plain(net.input_shape(batch));
  test::pattern(x.data(), x.size(), 1, 4.0);
  const int shape[] = {batch, 3, 28, 28};
  cv::Mat blob(4, shape, CV_32F, x.data());
  cvnet.setInput(blob);
  const cv::Mat out = cvnet.forward();
  const Tensor& ours = net.forward(x, Mode::eval);
  ASSERT_EQ(static_cast<int64_t>(out.total()), ours.size());
  for (int64_t i = 0; i < ours.size(); ++i)
    EXPECT_NEAR(out.ptr<float>()[i], ours.data()[i], 1e-4 * (1 + std::abs(ours.data()[i]))) << i;
}
#endif

}  // namespace
}  // namespace alexnet
