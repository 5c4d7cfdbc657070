// safetensors and .npy: round trips, and every kind of broken file gives a UserError naming
// the file (and the tensor), never a crash.
#include <gtest/gtest.h>

#include "test_util.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "formats/npy.hpp"
#include "formats/safetensors.hpp"
#include "formats/weights.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

std::string tmp(const std::string& name) {
  const fs::path d = test::temp_root() / "alexnet_io_test";
  fs::create_directories(d);
  return (d / name).string();
}

// Expects a UserError whose message contains each of `parts`.
template <class F>
void expect_error(F f, std::vector<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no error; expected one mentioning " << parts[0];
  } catch (const UserError& e) {
    const std::string m = e.what();
    EXPECT_EQ(m.find('\n'), std::string::npos) << m;
    for (const auto& p : parts) EXPECT_NE(m.find(p), std::string::npos) << "'" << p << "' not in: " << m;
  }
}

std::string header_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  return out + header + data;
}

TEST(Safetensors, RoundTripWithMetadata) {
  SafetensorsFile f;
  f.tensors["a"] = {{2, 3}, {1, 2, 3, 4, 5, 6}};
  f.tensors["b.bias"] = {{1}, {-7.5f}};
  f.metadata["arch"] = "alexnet-mini";
  const std::string p = tmp("rt.safetensors");
  write_safetensors(p, f);
  SafetensorsFile g = read_safetensors(p);
  EXPECT_EQ(g.tensors["a"].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(g.tensors["a"].data, f.tensors["a"].data);
  EXPECT_EQ(g.tensors["b.bias"].data[0], -7.5f);
  EXPECT_EQ(g.metadata["arch"], "alexnet-mini");
}

TEST(Safetensors, ConvertsF16AndBf16AndF64) {
  const uint16_t h[2] = {0x3C00, 0xC000};     // 1.0, -2.0 in f16
  const uint16_t bf[2] = {0x3F80, 0x4040};    // 1.0, 3.0 in bf16
  const double d[1] = {0.25};
  std::string data(reinterpret_cast<const char*>(h), 4);
  data += std::string(reinterpret_cast<const char*>(bf), 4);
  data += std::string(reinterpret_cast<const char*>(d), 8);
  const std::string hdr = R"({"h":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},)"
                          R"("b":{"dtype":"BF16","shape":[2],"data_offsets":[4,8]},)"
                          R"("d":{"dtype":"F64","shape":[1],"data_offsets":[8,16]}})";
  SafetensorsFile f = parse_safetensors(header_file(hdr, data), "x");
  EXPECT_EQ(f.tensors["h"].data, (std::vector<float>{1.f, -2.f}));
  EXPECT_EQ(f.tensors["b"].data, (std::vector<float>{1.f, 3.f}));
  EXPECT_EQ(f.tensors["d"].data, (std::vector<float>{0.25f}));
}

TEST(Safetensors, BrokenFilesAreClearErrors) {
  const std::string ok_data(8, '\0');
  auto parse = [](std::string bytes) { return [bytes] { parse_safetensors(bytes, "w.safetensors"); }; };
  expect_error(parse(""), {"w.safetensors", "8-byte"});
  expect_error(parse(std::string("\xff\xff\xff\xff\xff\xff\xff\x7f", 8) + "{}"), {"w.safetensors", "header length"});
  expect_error(parse(header_file("{not json", "")), {"w.safetensors", "not valid JSON"});
  expect_error(parse(header_file("[1,2]", "")), {"w.safetensors", "not a JSON object"});
  expect_error(parse(header_file(R"({"t":{"dtype":"I32","shape":[2],"data_offsets":[0,2]}})", "ab")),
               {"w.safetensors", "'t'", "I32"});
  expect_error(parse(header_file(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", ok_data)),
               {"w.safetensors", "'t'", "need 12"});
  expect_error(parse(header_file(R"({"t":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", ok_data)),
               {"w.safetensors", "'t'", "outside"});
  expect_error(parse(header_file(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", ok_data)),
               {"w.safetensors", "'t'", "outside"});
  expect_error(parse(header_file(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", ok_data)),
               {"w.safetensors", "'t'", "negative"});
  expect_error(parse(header_file(R"({"t":{"dtype":"F32","shape":[2]}})", ok_data)),
               {"w.safetensors", "'t'", "data_offsets"});
  expect_error(parse(header_file(R"({"__metadata__":{"a":1}})", "")), {"w.safetensors", "metadata"});
  expect_error([] { read_safetensors(tmp("does-not-exist.safetensors")); }, {"does-not-exist.safetensors", "no such file"});
}

TEST(Weights, SaveLoadRoundTripAndWrongFilesAreClearErrors) {
  Network net(arch_by_name("alexnet-mini"), 10);
  net.init(InitKind::kaiming, 5);
  ModelInfo info{"alexnet-mini", {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}, Normalization{{1, 2, 3}, {4, 5, 6}}, {}};
  const std::string p = tmp("mini.safetensors");
  save_weights(net, info, p);
  LoadedModel m = load_model(p, "");
  EXPECT_EQ(m.info.arch, "alexnet-mini");
  EXPECT_EQ(m.info.class_names[9], "j");
  EXPECT_EQ(m.info.norm->std[2], 6.f);
  for (int64_t i = 0; i < net.num_params(); ++i) ASSERT_EQ(m.net->values()[i], net.values()[i]);

  // A truncated file: the header's offsets now lie.
  const std::string bytes = read_file(p);
  write_file_atomic(tmp("trunc.safetensors"), bytes.substr(0, bytes.size() - 100));
  expect_error([] { load_model(tmp("trunc.safetensors"), ""); }, {"trunc.safetensors", "fc8.weight", "outside"});

  // A missing tensor, an unknown tensor, a wrong shape.
  SafetensorsFile f = read_safetensors(p);
  auto with = [&](const std::function<void(SafetensorsFile&)>& change, const std::string& name) {
    SafetensorsFile g = f;
    change(g);
    write_safetensors(tmp(name), g);
    return tmp(name);
  };
  const std::string miss = with([](SafetensorsFile& g) { g.tensors.erase("conv3.weight"); }, "miss.safetensors");
  expect_error([&] { load_model(miss, ""); }, {"miss.safetensors", "conv3.weight", "missing"});
  const std::string extra = with([](SafetensorsFile& g) { g.tensors["conv9.weight"] = {{1}, {0}}; }, "extra.safetensors");
  expect_error([&] { load_model(extra, ""); }, {"extra.safetensors", "conv9.weight", "unknown"});
  const std::string shape = with([](SafetensorsFile& g) { g.tensors["conv2.weight"].shape = {64, 32, 5, 5, 1}; }, "shape.safetensors");
  expect_error([&] { load_model(shape, ""); }, {"shape.safetensors", "conv2.weight", "shape"});
  expect_error([&] { load_model(p, "alexnet"); }, {"mini.safetensors", "alexnet-mini"});

  // The header alone: names, shapes and metadata, no data, offsets checked against the file.
  const SafetensorsFile h = read_safetensors_header(p);
  EXPECT_EQ(h.metadata.at("arch"), "alexnet-mini");
  EXPECT_EQ(h.tensors.at("conv2.weight").shape, (std::vector<int64_t>{64, 16, 5, 5}));
  EXPECT_TRUE(h.tensors.at("conv2.weight").data.empty());
  expect_error([] { read_safetensors_header(tmp("trunc.safetensors")); }, {"trunc.safetensors", "fc8.weight", "outside"});
  // A header that contradicts the architecture: refused from the header (load_model checks it
  // before it reads a tensor), in the line naming the tensor.
  const std::string wrong = with([](SafetensorsFile& g) {
    g.tensors["conv2.weight"] = {{64, 32, 5, 5}, std::vector<float>(64 * 32 * 25)};
  }, "wrong.safetensors");
  expect_error([&] { load_model(wrong, ""); }, {"tensor 'conv2.weight' has shape [64, 32, 5, 5], alexnet-mini needs [64, 16, 5, 5]"});
}

TEST(Weights, TorchvisionStateDictLoadsWithoutMetadata) {
  Network tv(arch_by_name("alexnet-torchvision"), 1000);
  SafetensorsFile f;
  export_params(tv, f);  // torchvision's names, no metadata at all
  write_safetensors(tmp("tv.safetensors"), f);
  LoadedModel m = load_model(tmp("tv.safetensors"), "");
  EXPECT_EQ(m.net->arch().name, "alexnet-torchvision");
  EXPECT_EQ(m.net->classes(), 1000);
  EXPECT_NE(f.tensors.count("features.10.weight"), 0u);
  EXPECT_NE(f.tensors.count("classifier.6.bias"), 0u);
}

TEST(Npy, RoundTripAndBrokenFiles) {
  const std::vector<float> v{1, 2, 3, 4, 5, 6};
  write_npy(tmp("a.npy"), {1, 2, 3}, v.data());
  NamedTensor t = read_npy(tmp("a.npy"));
  EXPECT_EQ(t.shape, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(t.data, v);
  const std::string b = read_file(tmp("a.npy"));
  write_file_atomic(tmp("short.npy"), b.substr(0, b.size() - 4));
  expect_error([] { read_npy(tmp("short.npy")); }, {"short.npy", "data bytes"});
  write_file_atomic(tmp("magic.npy"), "hello world, not numpy");
  expect_error([] { read_npy(tmp("magic.npy")); }, {"magic.npy", "magic"});
  std::string f8 = b;
  f8.replace(f8.find("<f4"), 3, "<f8");
  write_file_atomic(tmp("f8.npy"), f8);
  expect_error([] { read_npy(tmp("f8.npy")); }, {"f8.npy", "<f8"});
}

}  // namespace
}  // namespace alexnet
