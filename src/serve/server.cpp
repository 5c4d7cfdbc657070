#include "serve/server.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

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

HttpResponse json_response(const json& body, int status = 200) { return {status, "application/json", json_text(body), {}}; }

// The image of a request: a multipart field "image", or else the raw body.
std::pair<std::string, std::string> request_image(HttpRequest& req) {
  const std::string type = req.header("content-type");
  if (is_multipart(type)) {
    std::optional<FormFile> f;
    try {
      f = multipart_field(type, req.body, "image");
    } catch (const HttpMessageError& e) {
      throw BadRequest{400, e.message};
    }
    if (!f) throw BadRequest{400, "multipart form without a field named 'image'"};
    if (f->content.empty()) throw BadRequest{400, "the 'image' field is empty"};
    return {std::move(f->content), f->filename.empty() ? "image" : f->filename};
  }
  if (req.body.empty()) throw BadRequest{400, "empty body: send image bytes or a multipart field 'image'"};
  if (!type.empty() && type.rfind("image/", 0) != 0 && type != "application/octet-stream")
    throw BadRequest{415, "Content-Type " + type + " is not an image (send image/* or multipart/form-data)"};
  return {std::move(req.body), "body"};
}

int int_param(const HttpRequest& req, const std::string& key, int fallback, int lo, int hi) {
  if (!req.has_param(key)) return fallback;
  const std::string v = req.param(key);
  try {
    size_t used = 0;
    const int x = std::stoi(v, &used);
    if (used == v.size() && x >= lo && x <= hi) return x;
  } catch (const std::exception&) {
  }
  throw BadRequest{400, key + "=" + v + ": expected an integer from " + std::to_string(lo) + " to " + std::to_string(hi)};
}

bool is_inference(const HttpRequest& r) { return r.method == "POST" && (r.path == "/predict" || r.path == "/features"); }

}  // namespace

struct InferenceServer::Impl : HttpHandler {
  ServeConfig cfg;
  LoadedModel model;
  std::vector<std::string> names;
  TransformConfig tf;
  std::vector<std::string> layers;
  Batcher batcher;
  HttpServer http;

  static HttpLimits limits_of(const ServeConfig& c) {
    HttpLimits l = c.limits;
    if (l.compute_threads <= 0) l.compute_threads = std::max(8, 2 * c.max_batch);
    return l;
  }

  Impl(LoadedModel m, ServeConfig c)
      : cfg(std::move(c)),
        model(std::move(m)),
        names(cfg.class_names.empty() ? model.info.class_names : cfg.class_names),
        tf(test_transform(model.net->arch(), model.info.norm, model.info.mean_image)),
        layers(model.net->layer_names()),
        batcher(*model.net, cfg.max_batch, cfg.max_wait),
        http(*this, limits_of(cfg)) {}

  // A request for inference is announced to the batcher once it is read whole, before it
  // decodes, so a batch being formed waits for it (but not for bodies still on their way: a
  // slow uploader must not hold every batch). Each announcement ends in a submit (infer())
  // or a withdrawal (answer(), when the request fails before).
  bool computes(const HttpRequest& request) override {
    if (!is_inference(request)) return false;
    batcher.announce();
    return true;
  }

  // An announcement route() has not ended (the request failed before its submit) is withdrawn.
  HttpResponse answer(HttpRequest& req) override {
    bool announced = is_inference(req);
    HttpResponse r = routed_or_error(req, announced);
    if (announced) batcher.withdraw();
    return r;
  }

  // What route() answers, or what it threw as a JSON error; the server itself never fails.
  HttpResponse routed_or_error(HttpRequest& req, bool& announced) {
    try {
      return route(req, announced);
    } catch (const BadRequest& e) {
      return json_response({{"error", e.message}}, e.status);
    } catch (const UserError& e) {
      return json_response({{"error", e.what()}}, 400);
    } catch (const std::bad_alloc&) {
      return json_response({{"error", "out of memory for this request"}}, 503);
    } catch (const std::exception& e) {
      return json_response({{"error", std::string("internal error: ") + e.what()}}, 500);
    }
  }

  HttpResponse route(HttpRequest& req, bool& announced) {
    const bool get = req.method == "GET";
    if (req.path == "/") return get ? HttpResponse{200, "text/html; charset=utf-8", kServePage, {}} : not_allowed("GET");
    if (req.path == "/healthz") return get ? json_response(health()) : not_allowed("GET");
    if (req.path == "/metrics") return get ? HttpResponse{200, "text/plain; version=0.0.4", metrics(), {}} : not_allowed("GET");
    if (req.path == "/v1/model") return get ? json_response(model_json()) : not_allowed("GET");
    if (req.path == "/predict") return req.method == "POST" ? predict(req, announced) : not_allowed("POST");
    if (req.path == "/features") return req.method == "POST" ? features(req, announced) : not_allowed("POST");
    return json_response({{"error", "no such endpoint (GET /, /healthz, /metrics, /v1/model; POST /predict, /features)"}}, 404);
  }

  static HttpResponse not_allowed(const std::string& allow) {
    HttpResponse r = json_response({{"error", "method not allowed here (use " + allow + ")"}}, 405);
    r.headers.emplace_back("Allow", allow);
    return r;
  }

  json health() const {
    const HttpCounters c = http.counters();
    const BatcherStats b = batcher.stats();
    return {{"status", "ok"},
            {"connections_open", c.open},
            {"connections_refused", c.refused_total + c.refused_per_client},
            {"requests_in_flight", c.in_flight},
            {"batches", b.batches},
            {"images", b.samples}};
  }

  // Prometheus' text exposition format: per metric its HELP and TYPE lines, then its samples
  // (one, or one per label value).
  std::string metrics() const {
    const HttpCounters c = http.counters();
    const BatcherStats b = batcher.stats();
    std::ostringstream o;
    o.precision(15);  // counts stay whole numbers in print (1234567, not 1.23457e+06)
    using Samples = std::vector<std::pair<std::string, double>>;  // label set ("" for none), value
    const auto metric = [&o](const std::string& name, const char* type, const char* help, const Samples& samples) {
      o << "# HELP alexnet_" << name << ' ' << help << "\n# TYPE alexnet_" << name << ' ' << type << '\n';
      for (const auto& [labels, value] : samples) o << "alexnet_" << name << labels << ' ' << value << '\n';
    };
    const auto by = [](const char* label, std::vector<std::pair<const char*, int64_t>> values) {
      Samples out;
      for (const auto& [v, n] : values) out.emplace_back(std::string("{") + label + "=\"" + v + "\"}", n);
      return out;
    };
    const auto d = [](int64_t n) { return static_cast<double>(n); };
    metric("connections_open", "gauge", "Connections open now.", {{"", d(c.open)}});
    metric("connections_accepted_total", "counter", "Connections accepted.", {{"", d(c.accepted)}});
    metric("connections_refused_total", "counter", "Connections refused at once, by the limit they met.",
           by("limit", {{"max_connections", c.refused_total},
                        {"per_client", c.refused_per_client},
                        {"unreadable_address", c.unreadable_address}}));
    metric("connections_timed_out_total", "counter", "Connections closed at a deadline, by the phase they were in.",
           by("phase", {{"idle", c.timed_out_idle}, {"head", c.timed_out_head}, {"body", c.timed_out_body},
                        {"write", c.timed_out_write}}));
    metric("requests_refused_total", "counter", "Requests answered 431, 413 or 400 before their handler.",
           by("reason", {{"head_too_large", c.head_too_large}, {"body_too_large", c.body_too_large},
                         {"malformed", c.malformed}}));
    metric("requests_total", "counter", "Requests read whole and answered by a handler.", {{"", d(c.requests)}});
    metric("requests_in_flight", "gauge", "Requests being decoded or computed now.", {{"", d(c.in_flight)}});
    metric("batches_total", "counter", "Forward passes run.", {{"", d(b.batches)}});
    metric("batch_images_total", "counter", "Images in those forward passes (over batches_total: the mean batch).",
           {{"", d(b.samples)}});
    metric("batch_size_largest", "gauge", "The largest batch run.", {{"", d(b.largest)}});
    metric("compute_seconds_total", "counter", "Time spent running forward passes.", {{"", b.busy_s}});
    return o.str();
  }

  json model_json() const {
    const auto& arch = model.net->arch();
    return {{"arch", arch.name},
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
  }

  // Decodes on this (pool) thread while the batcher knows the request is coming.
  InferenceResult infer(HttpRequest& req, const std::string& layer, std::string& input_name, bool& announced) {
    std::vector<float> x;
    try {
      auto [bytes, name] = request_image(req);
      input_name = name;
      x = image_input(decode_image_bytes(bytes, name), tf);
    } catch (const DecodeError& e) {
      throw BadRequest{400, e.what()};
    }
    announced = false;  // the submit ends the announcement
    return batcher.submit(std::move(x), layer).get();
  }

  HttpResponse predict(HttpRequest& req, bool& announced) {
    const int k = model.net->classes();
    const int topk = int_param(req, "topk", 5, 1, k);
    const bool logits = int_param(req, "logits", 0, 0, 1) == 1;
    std::string input;
    const InferenceResult r = infer(req, "", input, announced);
    const auto top = top_classes(r.probs.data(), k, topk);
    return json_response(prediction_json(input, 0, top, names, logits ? r.logits.data() : nullptr, k));
  }

  HttpResponse features(HttpRequest& req, bool& announced) {
    const std::string layer = req.param("layer", "fc7");
    model.net->check_layer(layer);  // a UserError: answered 400 with its message
    std::string input;
    const InferenceResult r = infer(req, layer, input, announced);
    return json_response({{"input", input}, {"layer", layer}, {"shape", {r.features.size()}}, {"values", r.features}});
  }
};

InferenceServer::InferenceServer(LoadedModel model, ServeConfig cfg)
    : impl_(std::make_unique<Impl>(std::move(model), std::move(cfg))) {}

InferenceServer::~InferenceServer() = default;

int InferenceServer::bind() { return impl_->http.bind(impl_->cfg.host, impl_->cfg.port); }
void InferenceServer::run() { impl_->http.run(); }
void InferenceServer::stop() { impl_->http.stop(); }
BatcherStats InferenceServer::stats() const { return impl_->batcher.stats(); }
HttpCounters InferenceServer::counters() const { return impl_->http.counters(); }

}  // namespace alexnet
