// `alexnet serve`'s request handling: Beast's parser, our deadlines and routes (content types,
// multipart, query parameters, sizes, the batcher) in a server running in this process, fed
// each input as the bytes of one connection. A 500 (an exception the handlers did not expect)
// or a connection left without an answer or a close is a finding, as a crash is.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>

#include "fuzz_target.hpp"
#include "model/arch.hpp"
#include "serve/server.hpp"

namespace {

int server_port() {
  static const int port = [] {
    alexnet::LoadedModel m;
    m.net = std::make_unique<alexnet::Network>(alexnet::arch_by_name("alexnet-mini"), 10);
    m.info.arch = "alexnet-mini";
    alexnet::ServeConfig cfg;
    cfg.port = 0;
    cfg.max_batch = 4;
    cfg.max_wait = std::chrono::microseconds(500);
    cfg.limits.max_body_bytes = 1 << 16;  // so that the fuzzer reaches 413 too
    cfg.limits.max_header_bytes = 4 << 10;  // and 431
    cfg.limits.compute_threads = 4;
    alexnet::set_max_image_pixels(1'000'000);
    // Never destroyed: its I/O thread runs until the process ends, and a static destroyed at
    // exit would pull the io_context from under it (UBSan saw exactly that, once in a run).
    auto* server = new alexnet::InferenceServer(std::move(m), cfg);
    const int p = server->bind();
    std::thread([server] { server->run(); }).detach();
    return p;
  }();
  return port;
}

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "serve finding: %s\n", what.c_str());
  std::abort();
}

// Sends the bytes, closes the sending side, and reads until the server closes.
std::string exchange(const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) finding("no socket");
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(server_port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // Closed with a reset, not a FIN: a long run opens more connections than the ephemeral
  // ports that TIME_WAIT would otherwise hold for a minute each.
  const linger reset{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    finding(std::string("cannot connect (") + std::strerror(errno) + ")");
  // The server may answer (413, 400) and close before reading everything: a failed send is fine.
  // libFuzzer's own timer (SIGALRM, for -timeout) may interrupt a call: EINTR is retried
  // within the same 10 s, not taken for a silent server.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  const auto interrupted = [&] { return errno == EINTR && std::chrono::steady_clock::now() < deadline; };
  for (size_t sent = 0; sent < request.size();) {
    const ssize_t n = send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && interrupted()) continue;
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buf[4096];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n < 0) {
      if (interrupted()) continue;
      if (errno == ECONNRESET) break;
      const int e = errno;
      close(fd);
      finding(std::string("no answer and no close within 10 s (") + std::strerror(e) + ")");
    }
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

// The statuses of the answers on one connection (pipelined requests get several).
std::vector<int> statuses(const std::string& answer) {
  std::vector<int> out;
  size_t at = 0;
  while (at + 12 <= answer.size() && answer.compare(at, 9, "HTTP/1.1 ") == 0) {
    out.push_back(std::atoi(answer.substr(at + 9, 3).c_str()));
    const size_t end = answer.find("\r\n\r\n", at);
    if (end == std::string::npos) break;
    const size_t len = answer.find("Content-Length: ", at);
    const size_t body = len < end ? std::strtoull(answer.c_str() + len + 16, nullptr, 10) : 0;
    at = end + 4 + body;
  }
  return out;
}

}  // namespace

ALEXNET_FUZZ_TARGET({
  const std::string answer = exchange(bytes);
  for (int status : statuses(answer))
    if (status >= 500 && status != 503) finding("answered " + std::to_string(status) + ": " + answer.substr(0, 400));
})
