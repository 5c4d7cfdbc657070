// The HTTP server's inside, shared by its two files: http_server.cpp accepts connections and holds
// the limits on them; http_connection.cpp takes one connection through its phases. Boost.Asio
// and Beast types, kept out of serve/http_server.hpp.
#pragma once
#include <array>
#include <atomic>
#include <chrono>
#include <utility>  // before Asio, which uses std::exchange without it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "serve/compute_pool.hpp"
#include "serve/http_server.hpp"

namespace alexnet {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

struct AtomicCounters {
  std::atomic<int64_t> open{0}, accepted{0}, requests{0}, in_flight{0};
  std::atomic<int64_t> refused_total{0}, refused_per_client{0}, unreadable_address{0};
  std::atomic<int64_t> timed_out_idle{0}, timed_out_head{0}, timed_out_body{0}, timed_out_write{0};
  std::atomic<int64_t> head_too_large{0}, body_too_large{0}, malformed{0};
};

std::string error_body(const std::string& message);  // {"error": message}

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
  void arm(Clock::time_point deadline);
  void disarm();
  Clock::duration at_rate(size_t bytes) const;
  void timed_out();
  void close();
  void wait_request();
  void read_head();

  // An error while reading: the client went away, or sent what cannot be answered but to say so.
  void read_failed(error_code ec);
  void on_head(error_code ec);
  void read_body();

  // The body must keep an average of body_min_rate after a grace of header_timeout: each
  // read is due by the time the bytes so far and one more read's worth take at that rate.
  void read_some_body();
  void dispatch();
  static HttpResponse answer_guarded(HttpHandler& handler, HttpRequest& r);
  void refuse_request(int status, const std::string& message);
  void write(HttpResponse r);

  // After an answer that closes the connection: our side is shut, and what the client still
  // sends is read and dropped for a moment, so that closing does not reset the connection
  // (and lose the answer) while the client is still sending, as after a 413: a client that
  // sends its whole body before reading (most do) then still reads why. At most two bodies'
  // worth, for at most kLinger.
  void linger();
  void drain();
};

}  // namespace alexnet
