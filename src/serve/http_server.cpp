#include "serve/http_connection.hpp"

#include <sys/resource.h>
#include <sys/socket.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet {

namespace {
constexpr int kReservedDescriptors = 64;  // the process's own files, logs, the listening socket
}  // namespace

std::string error_body(const std::string& message) { return json_text(nlohmann::json{{"error", message}}); }

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
