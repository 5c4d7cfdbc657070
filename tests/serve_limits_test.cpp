// alexnet serve against clients that misbehave, on loopback: slow senders, idle floods, a head
// of a megabyte, ten thousand headers, a body that never ends, a body that crawls, a client
// that never reads its answers, too many connections from one address. Each while a good
// client (127.0.0.1; the hostile ones come from 127.0.0.2) keeps sending requests that must all
// be answered 200; each hostile connection must be closed or refused by the server itself, and
// the counters of /metrics must say why. The limits are short (a second) so that every test
// ends by itself within seconds.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "golden.hpp"
#include "image/image.hpp"
#include "model/arch.hpp"
#include "serve/server.hpp"
#include "test_util.hpp"

namespace alexnet {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string small_png() {
  Image img;
  img.height = 20, img.width = 24;
  img.rgb.resize(20 * 24 * 3);
  for (size_t i = 0; i < img.rgb.size(); ++i) img.rgb[i] = static_cast<uint8_t>(i * 13 % 251);
  return encode_image(img, ".png", 95, "test");
}

// A connection from `from` (a loopback address) to the server.
int connect_from(const char* from, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, from, &local.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) ADD_FAILURE() << "cannot bind to " << from;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ADD_FAILURE() << "cannot connect";
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  for (size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

// What the server sends until it closes the connection (or `limit` passes: then nullopt).
std::optional<std::string> read_until_closed(int fd, milliseconds limit) {
  std::string got;
  const auto end = Clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(end - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buf[65536];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return got;  // closed (or reset)
    got.append(buf, static_cast<size_t>(n));
  }
}

class ServeLimits : public ::testing::Test {
 protected:
  void start(const std::function<void(HttpLimits&)>& adjust = {}) {
    LoadedModel m;
    m.net = std::make_unique<Network>(arch_by_name("alexnet-mini"), 10);
    test::fill_golden_weights(*m.net);
    m.info.arch = "alexnet-mini";
    ServeConfig cfg;
    cfg.port = 0;
    cfg.max_batch = 4;
    HttpLimits& l = cfg.limits;
    l.header_timeout = milliseconds(1000);  // long enough that a good client on a busy machine meets it
    l.idle_timeout = milliseconds(1000);
    l.body_min_rate = 256 << 10;
    l.max_connections_per_client = 64;
    l.max_body_bytes = 1 << 20;
    if (adjust) adjust(l);
    server_ = std::make_unique<InferenceServer>(std::move(m), cfg);
    port_ = server_->bind();
    thread_ = std::thread([this] { server_->run(); });
  }
  void TearDown() override {
    stop_good();
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  // A good client sending one image after another until stop_good(), each on a new connection.
  void start_good() {
    good_ = std::thread([this] {
      while (!good_stop_) {
        httplib::Client c("127.0.0.1", port_);
        c.set_read_timeout(30, 0);
        const auto r = c.Post("/predict", png_, "image/png");
        ++good_sent_;
        if (!r || r->status != 200) ++good_failed_;
      }
    });
  }
  void stop_good() {
    good_stop_ = true;
    if (good_.joinable()) good_.join();
  }
  // Every good request answered 200, and some were made.
  void expect_good_served() {
    stop_good();
    EXPECT_GT(good_sent_.load(), 0);
    EXPECT_EQ(good_failed_.load(), 0) << "of " << good_sent_.load() << " good requests";
  }

  HttpCounters counters() const { return server_->counters(); }

  std::unique_ptr<InferenceServer> server_;
  int port_ = 0;
  std::thread thread_, good_;
  std::atomic<bool> good_stop_{false};
  std::atomic<int> good_sent_{0}, good_failed_{0};
  const std::string png_ = small_png();
};

TEST_F(ServeLimits, SlowSendersAreClosedAtTheHeadDeadlineHoweverTheyDrip) {
  start();
  start_good();
  constexpr int kSlow = 40;
  std::vector<int> fds;
  for (int i = 0; i < kSlow; ++i) {
    fds.push_back(connect_from("127.0.0.2", port_));
    send_all(fds.back(), "POST /predict HTTP/1.1\r\n");
  }
  // One header line each every 100 ms: each line would restart a per-read timeout.
  const auto t0 = Clock::now();
  std::vector<bool> closed(kSlow, false);
  int open = kSlow;
  for (int tick = 0; open > 0 && tick < 100; ++tick) {
    std::this_thread::sleep_for(milliseconds(100));
    for (int i = 0; i < kSlow; ++i)
      if (!closed[i] && !send_all(fds[i], "X-Drip: y\r\n")) closed[i] = true, --open;
  }
  const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
  for (int fd : fds) close(fd);
  EXPECT_EQ(open, 0) << "slow senders still open after " << waited << " s (head deadline 1 s)";
  EXPECT_EQ(counters().timed_out_head, kSlow);
  expect_good_served();
}

TEST_F(ServeLimits, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  start();
  start_good();
  std::vector<int> fds;
  for (int i = 0; i < 50; ++i) fds.push_back(connect_from("127.0.0.2", port_));
  for (int fd : fds) {
    const auto got = read_until_closed(fd, milliseconds(5000));
    EXPECT_TRUE(got && got->empty()) << "an idle connection left open, or answered";
    close(fd);
  }
  EXPECT_EQ(counters().timed_out_idle, 50);
  expect_good_served();
}

TEST_F(ServeLimits, AHeadOfAMegabyteAndTenThousandHeadersAre431) {
  start();
  start_good();
  for (const std::string& head : {"GET / HTTP/1.1\r\nX-Big: " + std::string(1 << 20, 'a') + "\r\n\r\n", [] {
         std::string h = "GET / HTTP/1.1\r\n";
         for (int i = 0; i < 10000; ++i) h += "X-" + std::to_string(i) + ": v\r\n";
         return h + "\r\n";
       }()}) {
    const int fd = connect_from("127.0.0.2", port_);
    send_all(fd, head);  // the server may answer and close before it has read everything
    const auto got = read_until_closed(fd, milliseconds(5000));
    close(fd);
    ASSERT_TRUE(got) << "no answer and no close";
    EXPECT_EQ(got->substr(0, 12), "HTTP/1.1 431") << got->substr(0, 200);
  }
  EXPECT_EQ(counters().head_too_large, 2);
  expect_good_served();
}

TEST_F(ServeLimits, ABodyThatNeverEndsIs413AndACrawlingOneIsClosed) {
  start();
  start_good();
  // Chunks as fast as the socket takes them, never the last one: refused at the body limit.
  int fd = connect_from("127.0.0.2", port_);
  send_all(fd, "POST /predict HTTP/1.1\r\nContent-Type: image/png\r\nTransfer-Encoding: chunked\r\n\r\n");
  const std::string chunk = "4000\r\n" + std::string(0x4000, 'z') + "\r\n";
  for (int i = 0; i < 200 && send_all(fd, chunk); ++i) {
  }
  auto got = read_until_closed(fd, milliseconds(5000));
  close(fd);
  ASSERT_TRUE(got) << "no answer and no close";
  EXPECT_EQ(got->substr(0, 12), "HTTP/1.1 413") << got->substr(0, 200);
  EXPECT_EQ(counters().body_too_large, 1);
  // A declared megabyte sent at 1 KB every 100 ms (10 KB/s, under the 256 KB/s asked): closed.
  fd = connect_from("127.0.0.2", port_);
  send_all(fd, "POST /predict HTTP/1.1\r\nContent-Type: image/png\r\nContent-Length: 1000000\r\n\r\n");
  bool cut = false;
  for (int i = 0; i < 100 && !cut; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    cut = !send_all(fd, std::string(1024, 'z'));
  }
  close(fd);
  EXPECT_TRUE(cut) << "a body crawling at 10 KB/s was still read after 10 s";
  EXPECT_EQ(counters().timed_out_body, 1);
  expect_good_served();
}

TEST_F(ServeLimits, AClientThatNeverReadsItsAnswersIsClosedAtTheWriteDeadline) {
  start();
  start_good();
  // Pipelined requests for the page, far more answers than socket buffers hold; nothing read.
  const int fd = connect_from("127.0.0.2", port_);
  const int small = 4096;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  send_all(fd, many);
  const auto end = Clock::now() + std::chrono::seconds(20);
  while (counters().timed_out_write == 0 && Clock::now() < end) std::this_thread::sleep_for(milliseconds(50));
  close(fd);
  EXPECT_EQ(counters().timed_out_write, 1);
  expect_good_served();
}

TEST_F(ServeLimits, ConnectionsBeyondTheCapsAreRefusedAtOnceWith503) {
  start([](HttpLimits& l) {
    l.max_connections_per_client = 8;
    l.max_connections = 12;
    l.idle_timeout = milliseconds(10000);  // the held connections stay for the test's length
  });
  std::vector<int> held;
  for (int i = 0; i < 8; ++i) held.push_back(connect_from("127.0.0.2", port_));
  std::this_thread::sleep_for(milliseconds(200));  // accepted: the server counts them
  const auto refused = [this](const char* from) {
    const int fd = connect_from(from, port_);
    const auto got = read_until_closed(fd, milliseconds(2000));
    close(fd);
    return got && got->rfind("HTTP/1.1 503", 0) == 0 && got->find("Retry-After: 1") != std::string::npos;
  };
  EXPECT_TRUE(refused("127.0.0.2")) << "a ninth connection from one address";
  EXPECT_EQ(counters().refused_per_client, 1);
  // Another address is still served while the first one sits at its cap.
  httplib::Client good("127.0.0.1", port_);
  auto r = good.Post("/predict", png_, "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  for (int i = 0; i < 4; ++i) held.push_back(connect_from("127.0.0.3", port_));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_TRUE(refused("127.0.0.4")) << "a thirteenth connection in all";
  EXPECT_EQ(counters().refused_total, 1);
  EXPECT_EQ(counters().open, 12);
  for (int fd : held) close(fd);
}

TEST_F(ServeLimits, MetricsSayWhatHappenedInPrometheusText) {
  start();
  const int fd = connect_from("127.0.0.2", port_);
  send_all(fd, "POST /predict HTTP/1.1\r\n");
  ASSERT_TRUE(read_until_closed(fd, milliseconds(5000)));
  close(fd);
  httplib::Client c("127.0.0.1", port_);
  ASSERT_EQ(c.Post("/predict", png_, "image/png")->status, 200);
  const auto m = c.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 200);
  EXPECT_NE(m->body.find("# TYPE alexnet_connections_open gauge\nalexnet_connections_open 1\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("alexnet_connections_timed_out_total{phase=\"head\"} 1\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("alexnet_batch_images_total 1\n"), std::string::npos) << m->body;
  const auto h = nlohmann::json::parse(c.Get("/healthz")->body);
  EXPECT_EQ(h["status"], "ok");
  EXPECT_EQ(h["connections_open"], 1);
  EXPECT_EQ(h["images"], 1);
}

TEST_F(ServeLimits, StopClosesWaitingConnectionsAndReturns) {
  start([](HttpLimits& l) { l.idle_timeout = milliseconds(60000); });
  std::vector<int> fds;
  for (int i = 0; i < 30; ++i) fds.push_back(connect_from("127.0.0.2", port_));
  std::this_thread::sleep_for(milliseconds(200));
  server_->stop();
  thread_.join();  // returns although the 30 could have waited a minute
  for (int fd : fds) {
    EXPECT_TRUE(read_until_closed(fd, milliseconds(2000)));
    close(fd);
  }
}

// Limits out of range: one line naming the flag, exit code 2.
TEST(ServeCommand, RefusesLimitsOutOfRange) {
  const std::string serve = std::string(ALEXNET_BINARY) + " serve --weights nothing.safetensors ";
  for (const auto& [flags, words] : std::vector<std::pair<std::string, std::string>>{
           {"--max-connections 0", "--max-connections must be from 1 to"},
           {"--max-connections 100000000", "--max-connections must be from 1 to"},
           {"--max-connections-per-client 0", "--max-connections-per-client must be from 1"},
           {"--max-connections 10 --max-connections-per-client 11", "--max-connections-per-client must be from 1"},
           {"--header-timeout 0", "--header-timeout must be above 0"},
           {"--idle-timeout -1", "--idle-timeout must be above 0"},
           {"--min-rate-kb 0", "--min-rate-kb must be at least 1"}}) {
    const test::Result r = test::run_shell(serve + flags);
    EXPECT_EQ(r.code, 2) << flags << ": " << r.out;
    EXPECT_NE(r.out.find(words), std::string::npos) << flags << ": " << r.out;
    EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1) << flags << ": " << r.out;
  }
}

}  // namespace
}  // namespace alexnet
