// HTTP/1.1 for `alexnet serve`, on Boost.Beast and Asio: one thread reads and writes every
// socket (event-driven, so an open connection costs memory, not a thread), a pool of threads
// computes the answers. It holds against clients that misbehave:
//   - deadlines for a whole phase, not for each read: the head of a request within
//     header_timeout however it is dripped, the body at body_min_rate after a grace of
//     header_timeout, the answer written likewise, a kept-alive connection idle at most
//     idle_timeout;
//   - at most max_connections open, at most max_connections_per_client from one address:
//     beyond them a connection is answered 503 (Retry-After) without waiting and closed;
//   - heads over max_header_bytes (431) and bodies over max_body_bytes (413) refused.
// The handler knows nothing of sockets: it sees whole requests (serve/http_message.hpp).
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "serve/http_message.hpp"

namespace alexnet {

struct HttpLimits {
  std::chrono::milliseconds header_timeout{5000};
  std::chrono::milliseconds idle_timeout{5000};
  size_t body_min_rate = 16 << 10;  // bytes/s a body and an answer must average, after the grace
  int max_connections = 0;          // 0: from the file-descriptor limit (max_connections_default)
  int max_connections_per_client = 128;
  size_t max_header_bytes = 32 << 10;
  size_t max_body_bytes = 32u << 20;
  int compute_threads = 0;  // the pool that runs HttpHandler::answer for requests that compute (0: 8)
};

// What the file-descriptor limit allows (raised to its hard limit first), less a reserve for
// the process's own files: the default and the largest allowed max_connections.
int max_connections_allowed();

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;
  // On the I/O thread once a request is read whole: true when it computes, so that answer()
  // runs on the pool (and is then called for it, always); false: answer() runs on the I/O
  // thread and must be quick.
  virtual bool computes(const HttpRequest& request) = 0;
  virtual HttpResponse answer(HttpRequest& request) = 0;
};

// What the transport has seen, for /metrics.
struct HttpCounters {
  int64_t open = 0, accepted = 0, requests = 0, in_flight = 0;
  int64_t refused_total = 0, refused_per_client = 0, unreadable_address = 0;
  int64_t timed_out_idle = 0, timed_out_head = 0, timed_out_body = 0, timed_out_write = 0;
  int64_t head_too_large = 0, body_too_large = 0, malformed = 0;
};

class HttpServer {
 public:
  HttpServer(HttpHandler& handler, HttpLimits limits);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int bind(const std::string& host, int port);  // the port bound (port 0: any free one); UserError if it cannot
  // Serves until stop(); returns once the requests being computed are answered (connections
  // waiting for a request are closed at once).
  void run();
  void stop();  // from any thread, also before run()
  HttpCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alexnet
