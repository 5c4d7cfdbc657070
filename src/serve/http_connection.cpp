#include "serve/http_connection.hpp"

#include <cctype>

namespace alexnet {

namespace {
constexpr auto kLinger = std::chrono::seconds(2);  // the most a closing answer lingers
}  // namespace

void HttpServer::Impl::Session::arm(Clock::time_point deadline) {
  const unsigned g = ++generation;
  timer.expires_at(deadline);
  timer.async_wait([self = shared_from_this(), g](error_code ec) {
    if (!ec && g == self->generation) self->timed_out();
  });
}

void HttpServer::Impl::Session::disarm() {
  ++generation;
  timer.cancel();
}

Clock::duration HttpServer::Impl::Session::at_rate(size_t bytes) const {
  return std::chrono::milliseconds(1000 * static_cast<int64_t>(bytes) / static_cast<int64_t>(srv.lim.body_min_rate));
}

void HttpServer::Impl::Session::timed_out() {
  switch (phase) {
    case Phase::idle: ++srv.count.timed_out_idle; break;
    case Phase::head: ++srv.count.timed_out_head; break;
    case Phase::body: ++srv.count.timed_out_body; break;
    case Phase::write: ++srv.count.timed_out_write; break;
    default: break;
  }
  close();
}

void HttpServer::Impl::Session::close() {
  if (phase == Phase::closed) return;
  phase = Phase::closed;
  disarm();
  error_code ec;
  sock.shutdown(tcp::socket::shutdown_both, ec);
  sock.close(ec);
  srv.forget(this, client);
}

void HttpServer::Impl::Session::wait_request() {
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

void HttpServer::Impl::Session::read_head() {
  phase = Phase::head;
  arm(Clock::now() + srv.lim.header_timeout);
  parser.emplace();
  parser->header_limit(static_cast<uint32_t>(srv.lim.max_header_bytes));
  parser->body_limit(srv.lim.max_body_bytes);
  http::async_read_header(sock, buf, *parser, [self = shared_from_this()](error_code ec, size_t) { self->on_head(ec); });
}

void HttpServer::Impl::Session::read_failed(error_code ec) {
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

void HttpServer::Impl::Session::on_head(error_code ec) {
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

void HttpServer::Impl::Session::read_body() {
  phase = Phase::body;
  body_start = Clock::now();
  read_some_body();
}

void HttpServer::Impl::Session::read_some_body() {
  const size_t got = parser->get().body().size();
  arm(body_start + srv.lim.header_timeout + at_rate(got + (64 << 10)));
  http::async_read_some(sock, buf, *parser, [self = shared_from_this()](error_code ec, size_t) {
    if (self->phase != Phase::body) return;
    if (ec) return self->read_failed(ec);
    if (!self->parser->is_done()) return self->read_some_body();
    self->dispatch();
  });
}

void HttpServer::Impl::Session::dispatch() {
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

HttpResponse HttpServer::Impl::Session::answer_guarded(HttpHandler& handler, HttpRequest& r) {
  try {
    return handler.answer(r);
  } catch (const std::exception& e) {
    return HttpResponse{500, "application/json", error_body(std::string("internal error: ") + e.what()), {}};
  }
}

void HttpServer::Impl::Session::refuse_request(int status, const std::string& message) {
  keep_alive = false;
  parser.reset();
  write(HttpResponse{status, "application/json", error_body(message), {}});
}

void HttpServer::Impl::Session::write(HttpResponse r) {
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

void HttpServer::Impl::Session::linger() {
  phase = Phase::linger;
  error_code ec;
  sock.shutdown(tcp::socket::shutdown_send, ec);
  arm(Clock::now() + kLinger);
  drain();
}

void HttpServer::Impl::Session::drain() {
  sock.async_read_some(asio::buffer(srv.discard), [self = shared_from_this()](error_code ec, size_t n) {
    if (self->phase != Phase::linger) return;
    self->lingered += n;
    if (ec || self->lingered > 2 * self->srv.lim.max_body_bytes + (1 << 20)) return self->close();
    self->drain();
  });
}

}  // namespace alexnet
