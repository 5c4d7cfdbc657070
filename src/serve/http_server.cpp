#include "serve/http_server.hpp"

#include <sys/resource.h>
#include <sys/socket.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>

#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

constexpr int kReservedDescriptors = 64;  // the process's own files, logs, the listening socket
constexpr auto kLinger = std::chrono::seconds(2);

// Threads that run the handler's answers for requests that compute; they may block (on the
// batcher), the I/O thread never does.
class ComputePool {
 public:
  explicit ComputePool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  ~ComputePool() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }
  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      jobs_.push_back(std::move(job));
    }
    ready_.notify_one();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

struct AtomicCounters {
  std::atomic<int64_t> open{0}, accepted{0}, requests{0}, in_flight{0};
  std::atomic<int64_t> refused_total{0}, refused_per_client{0}, unreadable_address{0};
  std::atomic<int64_t> timed_out_idle{0}, timed_out_head{0}, timed_out_body{0}, timed_out_write{0};
  std::atomic<int64_t> head_too_large{0}, body_too_large{0}, malformed{0};
};

std::string error_body(const std::string& message) { return json_text(nlohmann::json{{"error", message}}); }

}  // namespace

int max_connections_allowed() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 1024 - kReservedDescriptors;
  if (lim.rlim_cur < lim.rlim_max) {  // as servers do: the soft limit raised to the hard one
    rlimit raised = lim;
    raised.rlim_cur = lim.rlim_max == RLIM_INFINITY ? (1 << 20) : lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
  }
  const rlim_t cap = std::min<rlim_t>(lim.rlim_cur, 1 << 20);
  return std::max(1, static_cast<int>(cap) - kReservedDescriptors);
}

struct HttpServer::Impl {
  struct Session;
  HttpHandler& handler;
  const HttpLimits lim;
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_pause{io};
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;  // I/O thread only
  std::unordered_map<std::string, int> per_client;                // I/O thread only
  std::atomic<bool> stopping{false};
  Clock::time_point last_refusal{};
  std::array<char, 16384> discard{};  // what a lingering close reads and drops (I/O thread only)
  AtomicCounters count;
  ComputePool pool;

  Impl(HttpHandler& h, HttpLimits l) : handler(h), lim(l), pool(l.compute_threads > 0 ? l.compute_threads : 8) {}

  void accept();
  void admit(tcp::socket sock);
  void refuse(tcp::socket& sock, const std::string& why);
  void forget(Session* s, const std::string& client);
  void close_waiting();
};

// One connection: waits for a request (idle), reads its head, then its body, has it
// answered (on the I/O thread or the pool), writes the answer, and waits again or closes.
// Each phase has one deadline, armed as it starts; at the deadline the socket is closed.
struct HttpServer::Impl::Session : std::enable_shared_from_this<Session> {
  enum class Phase { idle, head, body, compute, write, linger, closed };
  Impl& srv;
  tcp::socket sock;
  const std::string client;
  asio::steady_timer timer;
  beast::flat_buffer buf;
  std::optional<http::request_parser<http::string_body>> parser;
  http::response<http::string_body> res;
  HttpRequest req;
  Phase phase = Phase::idle;
  unsigned generation = 0;  // of the deadline armed last: an older timer's wake-up is stale
  bool keep_alive = false;
  Clock::time_point body_start;
  size_t lingered = 0;

  Session(Impl& s, tcp::socket so, std::string c) : srv(s), sock(std::move(so)), client(std::move(c)), timer(s.io) {}

  void arm(Clock::time_point deadline) {
    const unsigned g = ++generation;
    timer.expires_at(deadline);
    timer.async_wait([self = shared_from_this(), g](error_code ec) {
      if (!ec && g == self->generation) self->timed_out();
    });
  }
  void disarm() {
    ++generation;
    timer.cancel();
  }
  Clock::duration at_rate(size_t bytes) const {
    return std::chrono::milliseconds(1000 * static_cast<int64_t>(bytes) / static_cast<int64_t>(srv.lim.body_min_rate));
  }

  void timed_out() {
    switch (phase) {
      case Phase::idle: ++srv.count.timed_out_idle; break;
      case Phase::head: ++srv.count.timed_out_head; break;
      case Phase::body: ++srv.count.timed_out_body; break;
      case Phase::write: ++srv.count.timed_out_write; break;
      default: break;
    }
    close();
  }

  void close() {
    if (phase == Phase::closed) return;
    phase = Phase::closed;
    disarm();
    error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
    srv.forget(this, client);
  }

  void wait_request() {
    if (srv.stopping) return close();
    phase = Phase::idle;
    if (buf.size() > 0) return read_head();  // pipelined: the next request is already here
    arm(Clock::now() + srv.lim.idle_timeout);
    sock.async_wait(tcp::socket::wait_read, [self = shared_from_this()](error_code ec) {
      if (self->phase != Phase::idle) return;
      if (ec) return self->close();
      self->read_head();
    });
  }

  void read_head() {
    phase = Phase::head;
    arm(Clock::now() + srv.lim.header_timeout);
    parser.emplace();
    parser->header_limit(static_cast<uint32_t>(srv.lim.max_header_bytes));
    parser->body_limit(srv.lim.max_body_bytes);
    http::async_read_header(sock, buf, *parser, [self = shared_from_this()](error_code ec, size_t) { self->on_head(ec); });
  }

  // An error while reading: the client went away, or sent what cannot be answered but to say so.
  void read_failed(error_code ec) {
    if (phase == Phase::closed) return;
    if (ec == http::error::header_limit) {
      ++srv.count.head_too_large;
      return refuse_request(431, "request head over " + std::to_string(srv.lim.max_header_bytes >> 10) + " KB");
    }
    if (ec == http::error::body_limit) {
      ++srv.count.body_too_large;
      return refuse_request(413, "request body too large (at most " + std::to_string(srv.lim.max_body_bytes >> 20) + " MB)");
    }
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted || ec == asio::error::bad_descriptor)
      return close();
    ++srv.count.malformed;
    refuse_request(400, "malformed HTTP request: " + ec.message());
  }

  void on_head(error_code ec) {
    if (phase != Phase::head) return;
    if (ec) return read_failed(ec);
    const auto& h = parser->get();
    req = HttpRequest{};
    req.method = std::string(h.method_string());
    try {
      auto [path, params] = parse_target(std::string(h.target()));
      req.path = std::move(path);
      req.params = std::move(params);
    } catch (const HttpMessageError& e) {
      ++srv.count.malformed;
      return refuse_request(400, e.message);
    }
    for (const auto& field : h) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    if (parser->is_done()) return dispatch();
    if (beast::iequals(h[http::field::expect], "100-continue")) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      return asio::async_write(sock, asio::buffer(kContinue), [self = shared_from_this()](error_code e, size_t) {
        if (self->phase != Phase::head) return;
        if (e) return self->close();
        self->read_body();
      });
    }
    read_body();
  }

  void read_body() {
    phase = Phase::body;
    body_start = Clock::now();
    read_some_body();
  }

  // The body must keep an average of body_min_rate after a grace of header_timeout: each
  // read is due by the time the bytes so far and one more read's worth take at that rate.
  void read_some_body() {
    const size_t got = parser->get().body().size();
    arm(body_start + srv.lim.header_timeout + at_rate(got + (64 << 10)));
    http::async_read_some(sock, buf, *parser, [self = shared_from_this()](error_code ec, size_t) {
      if (self->phase != Phase::body) return;
      if (ec) return self->read_failed(ec);
      if (!self->parser->is_done()) return self->read_some_body();
      self->dispatch();
    });
  }

  void dispatch() {
    disarm();
    req.body = std::move(parser->get().body());
    keep_alive = parser->get().keep_alive();
    parser.reset();
    ++srv.count.requests;
    if (!srv.handler.computes(req)) return write(answer_guarded(srv.handler, req));
    phase = Phase::compute;  // no deadline here: the batcher answers in bounded time
    ++srv.count.in_flight;
    // The work guard keeps run() from returning while the pool computes (no socket waits then).
    srv.pool.post([self = shared_from_this(), work = asio::make_work_guard(srv.io)]() mutable {
      HttpResponse r = answer_guarded(self->srv.handler, self->req);
      Session* s = self.get();
      asio::post(s->srv.io, [self = std::move(self), r = std::move(r)]() mutable {
        --self->srv.count.in_flight;
        self->write(std::move(r));
      });
    });
  }

  static HttpResponse answer_guarded(HttpHandler& handler, HttpRequest& r) {
    try {
      return handler.answer(r);
    } catch (const std::exception& e) {
      return HttpResponse{500, "application/json", error_body(std::string("internal error: ") + e.what()), {}};
    }
  }

  void refuse_request(int status, const std::string& message) {
    keep_alive = false;
    parser.reset();
    write(HttpResponse{status, "application/json", error_body(message), {}});
  }

  void write(HttpResponse r) {
    if (phase == Phase::closed) return;
    phase = Phase::write;
    res = {};
    res.version(11);
    res.result(static_cast<unsigned>(r.status));
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.body() = std::move(r.body);
    keep_alive = keep_alive && !srv.stopping;
    res.keep_alive(keep_alive);
    res.prepare_payload();
    arm(Clock::now() + srv.lim.header_timeout + at_rate(res.body().size()));
    http::async_write(sock, res, [self = shared_from_this()](error_code ec, size_t) {
      if (self->phase != Phase::write) return;
      if (ec) return self->close();
      if (self->keep_alive) return self->wait_request();
      self->linger();
    });
  }

  // After an answer that closes the connection: our side is shut, and what the client still
  // sends is read and dropped for a moment, so that closing does not reset the connection
  // (and lose the answer) while the client is still sending, as after a 413: a client that
  // sends its whole body before reading (most do) then still reads why. At most two bodies'
  // worth, for at most kLinger.
  void linger() {
    phase = Phase::linger;
    error_code ec;
    sock.shutdown(tcp::socket::shutdown_send, ec);
    arm(Clock::now() + kLinger);
    drain();
  }
  void drain() {
    sock.async_read_some(asio::buffer(srv.discard), [self = shared_from_this()](error_code ec, size_t n) {
      if (self->phase != Phase::linger) return;
      self->lingered += n;
      if (ec || self->lingered > 2 * self->srv.lim.max_body_bytes + (1 << 20)) return self->close();
      self->drain();
    });
  }
};

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](error_code ec, tcp::socket sock) {
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
    if (ec && ec != asio::error::no_descriptors && ec != asio::error::no_buffer_space && ec != asio::error::no_memory)
      return accept();  // that one connection failed (aborted before it was taken)
    if (ec) {
      // Out of descriptors or buffers: the connection waits in the backlog; accepting pauses
      // a moment rather than spinning.
      std::fprintf(stderr, "serve: cannot accept a connection (%s); pausing 100 ms\n", ec.message().c_str());
      accept_pause.expires_after(std::chrono::milliseconds(100));
      accept_pause.async_wait([this](error_code e) {
        if (!e) accept();
      });
      return;
    }
    admit(std::move(sock));
    accept();
  });
}

void HttpServer::Impl::admit(tcp::socket sock) {
  error_code ec;
  const tcp::endpoint peer = sock.remote_endpoint(ec);
  if (ec) {  // the client left before we looked (a reset in the backlog)
    ++count.unreadable_address;
    sock.close(ec);
    return;
  }
  const std::string client = peer.address().to_string();
  const int open = static_cast<int>(sessions.size());
  if (open >= lim.max_connections) {
    ++count.refused_total;
    return refuse(sock, std::to_string(open) + " connections open, the most allowed (--max-connections)");
  }
  int& mine = per_client[client];
  if (mine >= lim.max_connections_per_client) {
    ++count.refused_per_client;
    return refuse(sock, std::to_string(mine) + " connections open from " + client +
                            ", the most allowed (--max-connections-per-client)");
  }
  ++mine;
  ++count.accepted;
  count.open = open + 1;
  sock.set_option(tcp::no_delay(true), ec);  // answers go out at once, not after a delayed ACK
  auto s = std::make_shared<Session>(*this, std::move(sock), client);
  sessions.emplace(s.get(), s);
  s->wait_request();
}

// A connection beyond a limit: a 503 if the socket takes it at once, then closed; never queued.
void HttpServer::Impl::refuse(tcp::socket& sock, const std::string& why) {
  static const std::string body = error_body("too many connections; retry later");
  static const std::string answer = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
                                    "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  [[maybe_unused]] const ssize_t sent = ::send(sock.native_handle(), answer.data(), answer.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  error_code ec;
  sock.close(ec);
  const auto now = Clock::now();
  if (now - last_refusal > std::chrono::seconds(10))  // one line when refusing starts, not one per connection
    std::fprintf(stderr, "serve: refusing connections: %s\n", why.c_str());
  last_refusal = now;
}

void HttpServer::Impl::forget(Session* s, const std::string& client) {
  sessions.erase(s);
  count.open = static_cast<int64_t>(sessions.size());
  const auto it = per_client.find(client);
  if (it != per_client.end() && --it->second <= 0) per_client.erase(it);
}

// On stop: connections waiting for a request close now; those with one answer it first.
void HttpServer::Impl::close_waiting() {
  std::vector<std::shared_ptr<Session>> waiting;
  for (auto& [raw, weak] : sessions)
    if (auto s = weak.lock(); s && (s->phase == Session::Phase::idle || s->phase == Session::Phase::head ||
                                    s->phase == Session::Phase::linger))
      waiting.push_back(s);
  for (auto& s : waiting) s->close();
}

HttpServer::HttpServer(HttpHandler& handler, HttpLimits limits) {
  if (limits.max_connections <= 0) limits.max_connections = max_connections_allowed();
  impl_ = std::make_unique<Impl>(handler, limits);
}

HttpServer::~HttpServer() = default;

int HttpServer::bind(const std::string& host, int port) {
  const std::string where = host + ":" + std::to_string(port);
  error_code ec;
  tcp::resolver resolver(impl_->io);
  const auto found = resolver.resolve(host, std::to_string(port), tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || found.empty()) fail("serve: cannot bind to " + where + " (" + (ec ? ec.message() : "no such address") + ")");
  const tcp::endpoint at = found.begin()->endpoint();
  auto& a = impl_->acceptor;
  a.open(at.protocol(), ec);
  if (!ec) a.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) a.bind(at, ec);
  if (!ec) a.listen(SOMAXCONN, ec);
  if (ec) fail("serve: cannot bind to " + where + " (" + ec.message() + ": in use, or not an address here)");
  return a.local_endpoint().port();
}

void HttpServer::run() {
  Impl& s = *impl_;
  asio::post(s.io, [&s] {
    if (s.stopping) {
      error_code ec;
      s.acceptor.close(ec);
    } else {
      s.accept();
    }
  });
  s.io.run();
}

void HttpServer::stop() {
  Impl& s = *impl_;
  s.stopping = true;
  asio::post(s.io, [&s] {
    error_code ec;
    s.acceptor.close(ec);
    s.accept_pause.cancel();
    s.close_waiting();
  });
}

HttpCounters HttpServer::counters() const {
  const AtomicCounters& c = impl_->count;
  HttpCounters h;
  h.open = c.open;
  h.accepted = c.accepted;
  h.requests = c.requests;
  h.in_flight = c.in_flight;
  h.refused_total = c.refused_total;
  h.refused_per_client = c.refused_per_client;
  h.unreadable_address = c.unreadable_address;
  h.timed_out_idle = c.timed_out_idle;
  h.timed_out_head = c.timed_out_head;
  h.timed_out_body = c.timed_out_body;
  h.timed_out_write = c.timed_out_write;
  h.head_too_large = c.head_too_large;
  h.body_too_large = c.body_too_large;
  h.malformed = c.malformed;
  return h;
}

}  // namespace alexnet
