// alexnet serve: the batcher (requests that announce themselves share one forward pass, with
// the same numbers as alone) and the HTTP server, in process on a free port through
// cpp-httplib's client: predict's JSON, every bad request a 4xx JSON with the server still
// alive, 32 concurrent clients all answered; and the command itself, stopped by SIGTERM.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "image/image.hpp"
#include "golden.hpp"
#include "infer/batcher.hpp"
#include "infer/prediction.hpp"
#include "serve/server.hpp"
#include "test_util.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// alexnet-mini with the golden tests' weights and named classes, written once per process.
const std::string& weights_file() {
  static const std::string path = [] {
    Network net(arch_by_name("alexnet-mini"), 10);
    test::fill_golden_weights(net);
    ModelInfo info;
    info.arch = "alexnet-mini";
    for (int i = 0; i < 10; ++i) info.class_names.push_back("class " + std::to_string(i));
    fs::create_directories(test::temp_root());
    const std::string p = (test::temp_root() / "serve_weights.safetensors").string();
    save_weights(net, info, p);
    return p;
  }();
  return path;
}

// A 40 x 30 picture whose pixels depend on `seed`, as PNG bytes.
std::string test_png(int seed) {
  Image img;
  img.height = 30, img.width = 40;
  img.rgb.resize(40 * 30 * 3);
  for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>((i * (seed + 3) + seed * 17) % 251);
  return encode_image(img, ".png", 95, "test");
}

// A PNG whose header claims 12000 x 12000 pixels (a real bomb of this size is 420 KB of
// zeros that inflate to 432 MB): refused from its header.
std::string bomb_png() {
  auto chunk = [](const std::string& type, const std::string& data) {
    std::string c = test::be32(static_cast<uint32_t>(data.size())) + type + data;
    const uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(c.data() + 4), static_cast<uInt>(c.size() - 4));
    return c + test::be32(crc);
  };
  const std::string ihdr = test::be32(12000) + test::be32(12000) + std::string("\x08\x02\x00\x00\x00", 5);
  return std::string("\x89PNG\r\n\x1a\n", 8) + chunk("IHDR", ihdr) + chunk("IDAT", std::string(16, '\0')) + chunk("IEND", "");
}

TEST(Batcher, AnnouncedRequestsShareOneForwardWithTheNumbersOfAlone) {
  LoadedModel m = load_model(weights_file(), "");
  const TransformConfig tf = test_transform(m.net->arch(), m.info.norm, m.info.mean_image);
  std::vector<std::vector<float>> inputs;
  for (int i = 0; i < 3; ++i) inputs.push_back(image_input(decode_image_bytes(test_png(i), "t"), tf));
  std::vector<InferenceResult> alone;
  {
    Batcher b(*m.net, 8, std::chrono::microseconds(0));
    for (const auto& x : inputs) {
      b.announce();
      alone.push_back(b.submit(x).get());
    }
    EXPECT_EQ(b.stats().batches, 3);
  }
  // Three announced before any arrives: the worker waits for all three (max_wait is long).
  Batcher b(*m.net, 8, std::chrono::seconds(30));
  for (int i = 0; i < 3; ++i) b.announce();
  std::vector<std::future<InferenceResult>> futures;
  for (const auto& x : inputs) futures.push_back(b.submit(x));
  for (int i = 0; i < 3; ++i) {
    const InferenceResult r = futures[i].get();
    ASSERT_EQ(r.probs.size(), 10u);
    for (int j = 0; j < 10; ++j) EXPECT_NEAR(r.logits[j], alone[i].logits[j], 1e-4f * (1 + std::abs(alone[i].logits[j])));
  }
  EXPECT_EQ(b.stats().batches, 1);
  EXPECT_EQ(b.stats().largest, 3);
  // A withdrawn request (it did not decode) is not waited for beyond max_wait.
  Batcher c(*m.net, 8, std::chrono::milliseconds(20));
  c.announce();
  c.announce();
  c.withdraw();
  const InferenceResult f = c.submit(inputs[0], "fc7").get();
  EXPECT_EQ(f.features.size(), 512u);
  EXPECT_EQ(c.stats().batches, 1);
}

class ServeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServeConfig cfg;
    cfg.port = 0;
    cfg.limits.max_body_bytes = 1 << 20;
    server_ = std::make_unique<InferenceServer>(load_model(weights_file(), ""), cfg);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    server_->stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  httplib::Result post(const std::string& path, const std::string& body, const std::string& type = "image/png") const {
    return client().Post(path.c_str(), body, type.c_str());
  }
  void expect_error(const httplib::Result& r, int status, const std::string& words) const {
    ASSERT_TRUE(r) << "no answer";
    EXPECT_EQ(r->status, status) << r->body;
    const json j = json::parse(r->body);
    ASSERT_TRUE(j.contains("error")) << r->body;
    EXPECT_NE(j["error"].get<std::string>().find(words), std::string::npos) << r->body;
  }

  std::unique_ptr<InferenceServer> server_;
  int port_ = 0;
  std::thread thread_;
};

TEST_F(ServeTest, AnswersWhatPredictPrints) {
  auto health = client().Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  const json model = json::parse(client().Get("/v1/model")->body);
  EXPECT_EQ(model["arch"], "alexnet-mini");
  EXPECT_EQ(model["classes"], 10);
  EXPECT_EQ(model["input"], json({3, 28, 28}));
  EXPECT_EQ(model["channels"], "RGB");
  auto page = client().Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("/predict"), std::string::npos);
  EXPECT_EQ(page->body.find("http"), std::string::npos) << "the page must not load anything from elsewhere";

  // The command line on the same file.
  const fs::path dir = test::temp_root() / "serve";
  fs::create_directories(dir);
  const std::string png = test_png(5), file = (dir / "five.png").string();
  write_file_atomic(file, png);
  test::Result cli = test::run_shell(std::string(ALEXNET_BINARY) + " predict --json --topk 5 --weights " + weights_file() + " " + file);
  ASSERT_EQ(cli.code, 0) << cli.out;
  json expected = json::parse(cli.out);

  auto raw = post("/predict?topk=5", png);
  ASSERT_TRUE(raw);
  ASSERT_EQ(raw->status, 200) << raw->body;
  json got = json::parse(raw->body);
  EXPECT_EQ(got["input"], "body");
  got["input"] = expected["input"];
  EXPECT_EQ(got, expected);

  httplib::MultipartFormDataItems form = {{"image", png, "five.png", "image/png"}};
  auto multi = client().Post("/predict?topk=5", form);
  ASSERT_TRUE(multi);
  ASSERT_EQ(multi->status, 200) << multi->body;
  json m = json::parse(multi->body);
  EXPECT_EQ(m["input"], "five.png");
  EXPECT_EQ(m["top"], expected["top"]);

  auto feat = post("/features?layer=fc6", png);
  ASSERT_TRUE(feat);
  ASSERT_EQ(feat->status, 200) << feat->body;
  const json fj = json::parse(feat->body);
  EXPECT_EQ(fj["shape"], json({512}));
  EXPECT_EQ(fj["values"].size(), 512u);
}

TEST_F(ServeTest, BadRequestsGetJsonErrorsAndTheServerKeepsServing) {
  const std::string png = test_png(1);
  expect_error(post("/predict", ""), 400, "");
  expect_error(post("/predict", "not an image at all"), 400, "does not decode");
  expect_error(post("/predict", png.substr(0, png.size() / 2)), 400, "truncated");
  Image photo;  // an upload that lost its connection: a JPEG cut short is refused, not guessed at
  photo.height = 120, photo.width = 160;
  photo.rgb.resize(120 * 160 * 3);
  for (size_t i = 0; i < photo.rgb.size(); ++i) photo.rgb[i] = static_cast<uint8_t>(i * 7 % 253);
  const std::string jpeg = encode_image(photo, ".jpg", 90, "test");
  expect_error(post("/predict", jpeg.substr(0, jpeg.size() / 2), "image/jpeg"), 400,
               "the JPEG ends before its end-of-image marker (truncated)");
  expect_error(post("/predict", bomb_png()), 400, "megapixels allowed");
  expect_error(post("/predict", png, "text/plain"), 415, "not an image");
  // The message repeats the header; bytes that are not UTF-8 become U+FFFD, not a 500.
  expect_error(post("/predict", png, "text/\xff\xfe"), 415, "text/\xef\xbf\xbd\xef\xbf\xbd is not an image");
  expect_error(post("/predict", std::string(2 << 20, 'x')), 413, "too large");
  expect_error(post("/predict?topk=0", png), 400, "topk");
  expect_error(post("/predict?topk=x", png), 400, "topk");
  expect_error(post("/features?layer=fc9", png), 400, "unknown");
  expect_error(client().Get("/predict"), 405, "POST");
  expect_error(client().Delete("/healthz"), 405, "GET");
  expect_error(client().Get("/nothing"), 404, "no such endpoint");
  httplib::MultipartFormDataItems wrong_field = {{"photo", png, "a.png", "image/png"}};
  expect_error(client().Post("/predict", wrong_field), 400, "'image'");
  auto ok = post("/predict", png);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST_F(ServeTest, ThirtyTwoConcurrentRequestsAreAllAnswered) {
  std::vector<std::string> pngs;
  std::vector<json> alone;
  for (int i = 0; i < 4; ++i) {
    pngs.push_back(test_png(i));
    alone.push_back(json::parse(post("/predict?topk=3", pngs.back())->body)["top"]);
  }
  std::vector<json> answers(32);
  std::vector<std::string> failures(32);
  std::vector<std::thread> clients;
  for (int i = 0; i < 32; ++i)
    clients.emplace_back([&, i] {
      auto r = post("/predict?topk=3", pngs[i % 4]);
      if (r && r->status == 200) answers[i] = json::parse(r->body)["top"];
      else failures[i] = r ? std::to_string(r->status) + " " + r->body : httplib::to_string(r.error());
    });
  for (auto& t : clients) t.join();
  for (int i = 0; i < 32; ++i) {
    ASSERT_EQ(answers[i].size(), 3u) << "request " << i << ": " << failures[i];
    for (int t = 0; t < 3; ++t) {
      EXPECT_EQ(answers[i][t]["class"], alone[i % 4][t]["class"]);
      EXPECT_NEAR(answers[i][t]["prob"].get<double>(), alone[i % 4][t]["prob"].get<double>(), 1e-5);
    }
  }
  EXPECT_EQ(server_->stats().samples, 36);
}

// The page in a real browser (tests/browser/page_test.py): upload a photo, read the top class.
TEST_F(ServeTest, PageInARealBrowser) {
  if (!fs::exists("/usr/bin/chromium") || !fs::exists("/usr/bin/chromedriver") ||
      test::run_shell("/usr/bin/python3 -c 'import selenium'").code != 0)
    GTEST_SKIP() << "needs Debian's chromium, chromium-driver and python3-selenium";
  const fs::path dir = test::temp_root() / "browser";
  fs::create_directories(dir);
  const std::string png = test_png(7), file = (dir / "seven.png").string();
  write_file_atomic(file, png);
  const std::string expected = json::parse(post("/predict", png)->body)["top"][0]["name"];
  const test::Result r = test::run_shell("/usr/bin/python3 " + std::string(ALEXNET_SOURCE_DIR) +
                                         "/tests/browser/page_test.py http://127.0.0.1:" + std::to_string(port_) + "/ " + file);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("top: " + expected + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bars: 5"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("alexnet-mini, 10 classes"), std::string::npos) << r.out;
}

// The command: a free port, one answer, then SIGTERM ends it with exit code 0.
TEST(ServeCommand, StopsCleanlyOnSigterm) {
  const fs::path dir = test::temp_root() / "serve_cmd";
  fs::create_directories(dir);
  const std::string log = (dir / "log").string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::freopen(log.c_str(), "w", stdout);
    execl(ALEXNET_BINARY, ALEXNET_BINARY, "serve", "--weights", weights_file().c_str(), "--port", "0", nullptr);
    _exit(127);
  }
  int port = 0;
  for (int i = 0; i < 200 && port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), {});
    const auto at = text.find("127.0.0.1:");
    if (at != std::string::npos) port = std::atoi(text.c_str() + at + 10);
  }
  ASSERT_GT(port, 0) << "the server never said where it listens";
  httplib::Client c("127.0.0.1", port);
  auto r = c.Post("/predict", test_png(2), "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace alexnet
