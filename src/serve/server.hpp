// `alexnet serve`: classification over HTTP (serve/http_server.hpp), the weights loaded once.
//   GET  /            a page to drop an image on and see its top-5 (no external resources)
//   GET  /healthz     {"status": "ok", connections, requests in flight, batches}
//   GET  /metrics     the same and more in Prometheus' text format
//   GET  /v1/model    architecture, classes, input size and normalisation
//   POST /predict     raw image bytes (Content-Type image/* or octet-stream) or a multipart
//                     field "image"; ?topk=K, ?logits=1 -> predict --json's object
//   POST /features    the same body; ?layer=fc7 -> {"layer", "shape", "values"}
// Bad requests get a 4xx JSON {"error": ...} and the server keeps serving. Requests arriving
// together share one forward pass (infer/batcher.hpp); images decode on the compute pool.
#pragma once
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "infer/batcher.hpp"
#include "formats/weights.hpp"
#include "serve/http_server.hpp"

namespace alexnet {

struct ServeConfig {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (bind() says which)
  int max_batch = 16;
  std::chrono::microseconds max_wait{5000};
  HttpLimits limits;       // deadlines, connection caps, sizes (compute_threads 0: 2 x max_batch, at least 8)
  std::vector<std::string> class_names;  // empty: those the weights carry
};

class InferenceServer {
 public:
  InferenceServer(LoadedModel model, ServeConfig cfg);
  ~InferenceServer();
  InferenceServer(const InferenceServer&) = delete;
  InferenceServer& operator=(const InferenceServer&) = delete;

  int bind();  // the port it bound; UserError when it cannot
  void run();  // serves until stop(); returns once the requests in flight are answered
  void stop();  // from any thread
  BatcherStats stats() const;
  HttpCounters counters() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace alexnet
