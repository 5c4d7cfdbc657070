// serve_load: load for `alexnet serve` (bench/serve.sh), and the two things its targets are
// measured against.
//   serve_load load --port P --image F --clients N --seconds S   -> images/s, p50/p99 latency
//   serve_load decode --image F --arch A                         -> ms to decode + preprocess
//   serve_load weights --arch A --out W.safetensors              -> random weights (speed does
//                                                                   not depend on their values)
// Prints one JSON object.
#include <httplib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "infer/prediction.hpp"
#include "formats/weights.hpp"
#include "util/atomic_file.hpp"

using namespace alexnet;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

// N clients, each sending the image, waiting for the answer, and sending it again.
nlohmann::json load(int port, const std::string& image, int clients, double seconds, bool keep_alive) {
  const std::string body = read_file(image);
  std::mutex mu;
  std::vector<double> latencies;
  std::atomic<int> failures{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c)
    threads.emplace_back([&] {
      httplib::Client cli("127.0.0.1", port);
      cli.set_read_timeout(120, 0);
      cli.set_keep_alive(keep_alive);
      cli.set_tcp_nodelay(true);
      std::vector<double> mine;
      while (ms_since(start) < seconds * 1000) {
        const auto t0 = Clock::now();
        auto r = cli.Post("/predict", body, "image/jpeg");
        if (!r || r->status != 200) failures++;
        else mine.push_back(ms_since(t0));
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  for (auto& t : threads) t.join();
  const double elapsed = ms_since(start) / 1000;
  return {{"clients", clients},       {"keep_alive", keep_alive},       {"requests", latencies.size()}, {"failures", failures.load()},
          {"seconds", elapsed},       {"images_per_s", latencies.size() / elapsed},
          {"p50_ms", percentile(latencies, 0.5)}, {"p99_ms", percentile(latencies, 0.99)}};
}

nlohmann::json decode(const std::string& image, const std::string& arch_name) {
  const std::string bytes = read_file(image);
  const TransformConfig tf = test_transform(arch_by_name(arch_name), std::nullopt, {});
  std::vector<double> times;
  for (int i = 0; i < 30; ++i) {
    const auto t0 = Clock::now();
    const auto x = image_input(decode_image_bytes(bytes, image), tf);
    times.push_back(ms_since(t0));
  }
  return {{"decode_ms", percentile(times, 0.5)}};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"load and reference timings for alexnet serve"};
  app.require_subcommand(1);
  std::string image, arch = "alexnet-torchvision", out;
  int port = 0, clients = 1;
  bool keep_alive = false;
  double seconds = 10;
  auto* l = app.add_subcommand("load", "clients sending an image again and again");
  l->add_option("--port", port)->required();
  l->add_option("--image", image)->required();
  l->add_option("--clients", clients);
  l->add_option("--seconds", seconds);
  l->add_flag("--keep-alive", keep_alive, "one connection per client (default: a new one per request)");
  l->callback([&] { std::printf("%s\n", load(port, image, clients, seconds, keep_alive).dump().c_str()); });
  auto* d = app.add_subcommand("decode", "median ms to decode and preprocess the image");
  d->add_option("--image", image)->required();
  d->add_option("--arch", arch);
  d->callback([&] { std::printf("%s\n", decode(image, arch).dump().c_str()); });
  auto* w = app.add_subcommand("weights", "random weights of an architecture");
  w->add_option("--arch", arch);
  w->add_option("--out", out)->required();
  w->callback([&] {
    Network net(arch_by_name(arch), 1000);
    net.init(InitKind::kaiming, 1);
    ModelInfo info;
    info.arch = arch;
    save_weights(net, info, out);
    std::printf("{\"weights\": \"%s\"}\n", out.c_str());
  });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
