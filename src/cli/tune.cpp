// alexnet tune: every kernel decision for the architectures, batch sizes and modes asked for,
// made now (measured where this machine has no answer yet) and kept in the cache, so that the
// first real use measures nothing. --again measures anew.
#include <cstdio>
#include <cstdlib>

#include "cli/commands.hpp"
#include "kernels/tuning.hpp"
#include "model/arch.hpp"
#include "model/tune.hpp"
#include "tensor/engine.hpp"
#include "util/error.hpp"

namespace alexnet::cli {

namespace {

struct TuneOpts {
  std::vector<std::string> archs;
  std::vector<int> batches{1, 16, 64}, train_batches{128};
  int threads = 0;
  std::string mode = "both";
  bool again = false;
};

void print_report(const TuneReport& r) {
  std::printf("%s %s batch %d: %.1f s\n", r.arch.c_str(), r.mode == Mode::train ? "train" : "infer", r.batch,
              r.seconds);
  for (const LayerTiming& t : r.layers)
    if (!t.chosen_by.empty())
      std::printf("  %-8s %-60s [%s]\n", t.name.c_str(), t.kernel.c_str(), t.chosen_by.c_str());
}

void run_tune(const TuneOpts& o) {
  for (int b : o.batches) if (b < 1) fail("--batch: batch sizes must be at least 1");
  for (int b : o.train_batches) if (b < 1) fail("--train-batch: batch sizes must be at least 1");
  if (o.mode != "infer" && o.mode != "train" && o.mode != "both")
    fail("--mode: expected infer, train or both, got '" + o.mode + "'");
  set_threads(o.threads);
  if (o.again) setenv("ALEXNET_TUNE", "again", 1);
  if (tune_mode() == TuneMode::off) std::printf("ALEXNET_TUNE=off: the table's choices, nothing measured\n");
  std::vector<std::string> archs = o.archs;
  if (archs.empty()) archs = arch_names();
  for (const auto& name : archs) {
    const ArchSpec& arch = arch_by_name(name);
    if (o.mode != "train")
      for (int b : o.batches) print_report(tune_network(arch, Mode::eval, b, 1000));
    if (o.mode != "infer")
      for (int b : o.train_batches) print_report(tune_network(arch, Mode::train, b, 1000));
  }
  const std::string cache = tuning_cache_path();
  std::printf("kernel choices: %s\n", cache.empty() ? "not kept (neither XDG_CACHE_HOME nor HOME is set)" : cache.c_str());
}

}  // namespace

void add_tune(CLI::App& app) {
  auto* c = app.add_subcommand("tune", "measure which kernels compute each layer fastest on this machine, once");
  auto o = std::make_shared<TuneOpts>();
  c->add_option("--arch", o->archs, "architectures (default: every one): " + arch_names_joined(" | "));
  c->add_option("--batch", o->batches, "inference batch sizes")->capture_default_str()->delimiter(',');
  c->add_option("--train-batch", o->train_batches, "training batch sizes")->capture_default_str()->delimiter(',');
  c->add_option("--mode", o->mode, "infer | train | both")->capture_default_str();
  c->add_option("--threads", o->threads, "compute threads (default: all cores, or as many as a CPU quota allows)");
  c->add_flag("--again", o->again, "measure anew, ignoring what the cache holds");
  c->callback([o] { run_tune(*o); });
}

}  // namespace alexnet::cli
