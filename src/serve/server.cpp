#include "serve/server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <nlohmann/json.hpp>

#include "data/transform.hpp"
#include "infer/prediction.hpp"
#include "serve/page.hpp"
#include "util/error.hpp"
#include "util/json_text.hpp"

namespace alexnet {

namespace {

using json = nlohmann::json;

// A request that cannot be answered as asked: its status and one line saying why.
struct BadRequest {
  int status;
  std::string message;
};

void send_json(httplib::Response& res, const json& body, int status = 200) {
  res.status = status;
  res.set_content(json_text(body), "application/json");
}

// The image of a request: a multipart field "image", or else the raw body.
std::pair<std::string, std::string> request_image(const httplib::Request& req) {
  if (req.is_multipart_form_data()) {
    if (!req.has_file("image")) throw BadRequest{400, "multipart form without a field named 'image'"};
    const auto f = req.get_file_value("image");
    if (f.content.empty()) throw BadRequest{400, "the 'image' field is empty"};
    return {f.content, f.filename.empty() ? "image" : f.filename};
  }
  if (req.body.empty()) throw BadRequest{400, "empty body: send image bytes or a multipart field 'image'"};
  const std::string type = req.get_header_value("Content-Type");
  if (!type.empty() && type.rfind("image/", 0) != 0 && type != "application/octet-stream")
    throw BadRequest{415, "Content-Type " + type + " is not an image (send image/* or multipart/form-data)"};
  return {req.body, "body"};
}

int int_param(const httplib::Request& req, const std::string& key, int fallback, int lo, int hi) {
  if (!req.has_param(key.c_str())) return fallback;
  const std::string v = req.get_param_value(key.c_str());
  try {
    size_t used = 0;
    const int x = std::stoi(v, &used);
    if (used == v.size() && x >= lo && x <= hi) return x;
  } catch (const std::exception&) {
  }
  throw BadRequest{400, key + "=" + v + ": expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi)};
}

const char* reason(int status) {
  switch (status) {
    case 404: return "no such endpoint (GET /, /healthz, /v1/model; POST /predict, /features)";
    case 405: return "method not allowed";
    case 413: return "request body too large";
    case 414: return "request URI too long";
    default: return "bad request (send image bytes, or a multipart form field 'image')";
  }
}

// Whether the request this HTTP thread is working on is counted in the batcher's announced
// requests (each request is handled start to end by one thread of the pool).
thread_local bool t_announced = false;

}  // namespace

struct InferenceServer::Impl {
  ServeConfig cfg;
  LoadedModel model;
  std::vector<std::string> names;
  TransformConfig tf;
  std::vector<std::string> layers;
  Batcher batcher;
  httplib::Server http;
  int port = 0;
  socket_t listen_socket = -1;
  // httplib's stop() does nothing until listening has begun; these let a stop that comes
  // before (a SIGTERM at start-up) still end run().
  std::atomic<bool> run_called{false}, run_returned{false}, stopping{false};

  Impl(LoadedModel m, ServeConfig c)
      : cfg(std::move(c)),
        model(std::move(m)),
        names(cfg.class_names.empty() ? model.info.class_names : cfg.class_names),
        tf(test_transform(model.net->arch(), model.info.norm, model.info.mean_image)),
        layers(model.net->layer_names()),
        batcher(*model.net, cfg.max_batch, cfg.max_wait) {
    const int threads = cfg.http_threads > 0 ? cfg.http_threads : std::max(8, 2 * cfg.max_batch);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_payload_max_length(cfg.max_body_bytes);
    http.set_keep_alive_timeout(2);  // bounds how long a stop waits for idle keep-alive clients
    // Without TCP_NODELAY an answer written in two sends (headers, body) on a kept-alive
    // connection waits out the client's delayed ACK: 1 client ran 16 instead of 93 images/s.
    http.set_tcp_nodelay(true);
    // Debian's cpp-httplib was built with a listen backlog of 5: a burst of more clients than
    // that saw connections fail. The socket is remembered here and listened on again, with a
    // backlog of SOMAXCONN, once bound (on Linux a second listen() resizes the queue).
    http.set_socket_options([this](socket_t sock) {
      httplib::default_socket_options(sock);
      listen_socket = sock;
    });
    routes();
  }

  json model_json() const {
    const auto& arch = model.net->arch();
    json j = {{"arch", arch.name},
              {"classes", model.net->classes()},
              {"class_names", names},
              {"input", {3, arch.crop, arch.crop}},
              {"resize", arch.resize},
              {"channels", tf.bgr ? "BGR" : "RGB"},
              {"mean", tf.norm.mean},
              {"std", tf.norm.std},
              {"mean_image", !tf.mean_image.empty()},
              {"layers", layers},
              {"max_batch", cfg.max_batch}};
    return j;
  }

  // A request for inference is announced to the batcher as soon as its headers are read,
  // before its body arrives and decodes, so a batch being formed waits for it. Each
  // announcement ends in a submit or a withdrawal: in the handler, or else (a body too large,
  // a handler never reached) when the request is logged, or at this thread's next request.
  void announce() {
    if (t_announced) batcher.withdraw();
    batcher.announce();
    t_announced = true;
  }
  void withdraw() {
    if (t_announced) batcher.withdraw();
    t_announced = false;
  }

  // Decodes on this (HTTP) thread while the batcher knows the request is coming.
  InferenceResult infer(const httplib::Request& req, const std::string& layer, std::string& input_name) {
    if (!t_announced) announce();
    std::vector<float> x;
    try {
      auto [bytes, name] = request_image(req);
      input_name = name;
      x = image_input(decode_image_bytes(bytes, name), tf);
    } catch (const DecodeError& e) {
      withdraw();
      throw BadRequest{400, e.what()};
    } catch (...) {
      withdraw();
      throw;
    }
    t_announced = false;  // the submit below ends the announcement
    return batcher.submit(std::move(x), layer).get();
  }

  void predict(const httplib::Request& req, httplib::Response& res) {
    const int k = model.net->classes();
    const int topk = int_param(req, "topk", 5, 1, k);
    const bool logits = int_param(req, "logits", 0, 0, 1) == 1;
    std::string input;
    const InferenceResult r = infer(req, "", input);
    const auto top = top_classes(r.probs.data(), k, topk);
    send_json(res, prediction_json(input, 0, top, names, logits ? r.logits.data() : nullptr, k));
  }

  void features(const httplib::Request& req, httplib::Response& res) {
    const std::string layer = req.has_param("layer") ? req.get_param_value("layer") : "fc7";
    if (std::find(layers.begin(), layers.end(), layer) == layers.end()) {
      std::string all;
      for (const auto& l : layers) all += (all.empty() ? "" : ", ") + l;
      throw BadRequest{400, "layer=" + layer + ": unknown (one of " + all + ")"};
    }
    std::string input;
    const InferenceResult r = infer(req, layer, input);
    send_json(res, {{"input", input}, {"layer", layer}, {"shape", {r.features.size()}}, {"values", r.features}});
  }

  // Runs a handler, turning what it throws into a JSON error; the server itself never fails.
  template <class F>
  httplib::Server::Handler guarded(F f) {
    return [this, f](const httplib::Request& req, httplib::Response& res) {
      try {
        (this->*f)(req, res);
      } catch (const BadRequest& e) {
        send_json(res, {{"error", e.message}}, e.status);
      } catch (const UserError& e) {
        send_json(res, {{"error", e.what()}}, 400);
      } catch (const std::bad_alloc&) {
        send_json(res, {{"error", "out of memory for this request"}}, 503);
      } catch (const std::exception& e) {
        send_json(res, {{"error", std::string("internal error: ") + e.what()}}, 500);
      }
    };
  }

  void routes() {
    http.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      if (req.method == "POST" && (req.path == "/predict" || req.path == "/features")) announce();
      return httplib::Server::HandlerResponse::Unhandled;
    });
    http.set_logger([this](const httplib::Request&, const httplib::Response&) { withdraw(); });
    http.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kServePage, "text/html; charset=utf-8");
    });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { send_json(res, {{"status", "ok"}}); });
    http.Get("/v1/model", [this](const httplib::Request&, httplib::Response& res) { send_json(res, model_json()); });
    http.Post("/predict", guarded(&Impl::predict));
    http.Post("/features", guarded(&Impl::features));
    auto not_allowed = [](const char* allow) {
      return [allow](const httplib::Request&, httplib::Response& res) {
        res.set_header("Allow", allow);
        send_json(res, {{"error", std::string("method not allowed here (use ") + allow + ")"}}, 405);
      };
    };
    for (const char* path : {"/", "/healthz", "/v1/model"}) {
      http.Post(path, not_allowed("GET"));
      http.Put(path, not_allowed("GET"));
      http.Delete(path, not_allowed("GET"));
    }
    for (const char* path : {"/predict", "/features"}) {
      http.Get(path, not_allowed("POST"));
      http.Put(path, not_allowed("POST"));
      http.Delete(path, not_allowed("POST"));
    }
    // Statuses httplib sets itself (404, 413, 400 on a malformed request) get a JSON body too.
    http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
      if (res.body.empty()) send_json(res, {{"error", reason(res.status)}}, res.status);
    });
  }
};

InferenceServer::InferenceServer(LoadedModel model, ServeConfig cfg)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(cfg))) {}

InferenceServer::~InferenceServer() = default;

int InferenceServer::bind() {
  const ServeConfig& c = impl_->cfg;
  if (c.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(c.host);
    if (impl_->port < 0) fail("serve: cannot bind to " + c.host);
  } else {
    if (!impl_->http.bind_to_port(c.host, c.port))
      fail("serve: cannot bind to " + c.host + ":" + std::to_string(c.port) + " (in use, or not an address here)");
    impl_->port = c.port;
  }
  if (impl_->listen_socket >= 0) ::listen(impl_->listen_socket, SOMAXCONN);
  return impl_->port;
}

void InferenceServer::run() {
  impl_->run_called = true;
  if (!impl_->stopping) impl_->http.listen_after_bind();
  impl_->run_returned = true;
}

void InferenceServer::stop() {
  impl_->stopping = true;
  while (impl_->run_called && !impl_->run_returned && !impl_->http.is_running())
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  impl_->http.stop();
}

BatcherStats InferenceServer::stats() const { return impl_->batcher.stats(); }

}  // namespace alexnet
