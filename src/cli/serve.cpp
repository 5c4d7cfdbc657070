// alexnet serve: the weights loaded once, classification over HTTP (serve/server.hpp).
// SIGTERM or SIGINT stops accepting, answers the requests in flight, and exits 0.
#include <chrono>
#include <cstdio>

#include "cli/commands.hpp"
#include "infer/inference_model.hpp"
#include "image/image.hpp"
#include "infer/prediction.hpp"
#include "serve/server.hpp"
#include "serve/until_signal.hpp"
#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

struct ServeOptions {
  std::string weights, arch, labels;
  ServeConfig cfg;
  int wait_ms = 5, threads = 0, max_body_mb = 32;
  double header_timeout = 5, idle_timeout = 5;
  int min_rate_kb = 16, max_connections = 0, per_client = 128;
  CLI::Option* max_connections_flag = nullptr;
};

void add_serve_flags(CLI::App* c, ServeOptions& o) {
  c->add_option("--weights", o.weights, "weights (.safetensors, .pth, .onnx or .caffemodel)")->required();
  c->add_option("--arch", o.arch, "architecture, when the weights do not say");
  c->add_option("--labels", o.labels, "class names, one per line, instead of those the weights carry");
  c->add_option("--host", o.cfg.host, "address to listen on (0.0.0.0: every interface)")->capture_default_str();
  c->add_option("--port", o.cfg.port, "port (0: any free one)")->capture_default_str();
  c->add_option("--max-batch", o.cfg.max_batch, "requests that may share one forward pass")->capture_default_str();
  c->add_option("--max-wait-ms", o.wait_ms, "how long a batch waits for requests still being decoded")->capture_default_str();
  c->add_option("--max-body-mb", o.max_body_mb, "larger request bodies are refused (413)")->capture_default_str();
  c->add_option("--threads", o.threads, "compute threads");
  c->add_option("--header-timeout", o.header_timeout, "seconds a request's head may take in all, however it is sent")
      ->capture_default_str();
  c->add_option("--idle-timeout", o.idle_timeout, "seconds a connection may wait between requests")->capture_default_str();
  c->add_option("--min-rate-kb", o.min_rate_kb, "KB/s a body or an answer must average (after --header-timeout)")
      ->capture_default_str();
  o.max_connections_flag = c->add_option("--max-connections", o.max_connections,
                                         "connections open at once (default: the descriptor limit, less a reserve)");
  c->add_option("--max-connections-per-client", o.per_client, "connections open at once from one address")
      ->capture_default_str();
}

// The flags checked and turned into the server's configuration.
void check_serve_flags(ServeOptions& o) {
  if (o.cfg.max_batch < 1 || o.cfg.max_batch > 256) fail("--max-batch must be from 1 to 256");
  if (o.wait_ms < 0 || o.wait_ms > 1000) fail("--max-wait-ms must be from 0 to 1000");
  if (o.max_body_mb < 1) fail("--max-body-mb must be at least 1");
  o.cfg.max_wait = std::chrono::milliseconds(o.wait_ms);
  HttpLimits& lim = o.cfg.limits;
  lim.max_body_bytes = static_cast<size_t>(o.max_body_mb) << 20;
  const auto seconds = [](double s, const char* flag) {
    if (!(s > 0 && s <= 3600)) fail(std::string(flag) + " must be above 0 and at most 3600 seconds");
    return std::chrono::milliseconds(static_cast<int64_t>(s * 1000 + 0.5));
  };
  lim.header_timeout = seconds(o.header_timeout, "--header-timeout");
  lim.idle_timeout = seconds(o.idle_timeout, "--idle-timeout");
  if (o.min_rate_kb < 1) fail("--min-rate-kb must be at least 1");
  lim.body_min_rate = static_cast<size_t>(o.min_rate_kb) << 10;
  const int allowed = max_connections_allowed();
  if (o.max_connections_flag->count() == 0) o.max_connections = allowed;
  if (o.max_connections < 1 || o.max_connections > allowed)
    fail("--max-connections must be from 1 to " + std::to_string(allowed) + " (the descriptor limit, less a reserve)");
  if (o.per_client < 1 || o.per_client > o.max_connections)
    fail("--max-connections-per-client must be from 1 to --max-connections (" + std::to_string(o.max_connections) + ")");
  lim.max_connections = o.max_connections;
  lim.max_connections_per_client = o.per_client;
}

void serve(ServeOptions& o) {
  check_serve_flags(o);
  // Many requests decode at once here, so one image may be at most 40 megapixels (an 8K
  // photo), not the 100 of the command-line tools: 16 of the largest then stay under 2 GB.
  set_max_image_pixels(40'000'000);
  InferenceModel m = open_for_inference(o.weights, o.arch, o.threads);
  if (!o.labels.empty()) o.cfg.class_names = m.class_names(o.labels);
  const std::string arch = m.net().arch().name;

  InferenceServer server(std::move(m.loaded), o.cfg);
  const int port = server.bind();
  std::printf("serving %s (%s) on http://%s:%d/  (POST /predict, /features; SIGTERM stops)\n", o.weights.c_str(),
              arch.c_str(), o.cfg.host.c_str(), port);
  std::fflush(stdout);
  serve_until_signal(server);
  const BatcherStats s = server.stats();
  std::printf("served %lld images in %lld batches (mean %.1f, largest %d), computing for %.1f s\n",
              static_cast<long long>(s.samples), static_cast<long long>(s.batches),
              s.batches ? static_cast<double>(s.samples) / s.batches : 0.0, s.largest, s.busy_s);
}

}  // namespace

void add_serve(CLI::App& app) {
  auto* c = app.add_subcommand("serve", "classify images over HTTP (a page at /, POST /predict, /features)");
  auto o = std::make_shared<ServeOptions>();
  add_serve_flags(c, *o);
  c->callback([o] { serve(*o); });
}

}  // namespace alexnet::cli
