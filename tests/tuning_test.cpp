// Kernels chosen by measuring them (kernels/tuning.hpp): every candidate the tuner may choose
// computes what the table's kernel computes; the cache is written once and read back; a cache
// that is truncated, from another machine, names a kernel no longer offered, or cannot be
// written is ignored (re-measured), never an error.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "kernels/tuning.hpp"
#include "model/network.hpp"
#include "tensor/layout.hpp"
#include "test_util.hpp"
#include "util/atomic_file.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A network of fixed weights on a fixed input (pseudo-random: a periodic one ties
// max-pooling windows, whose gradient then goes to whichever of the equal inputs a last bit
// favours). outputs() sets it up again (through batch 1, so that every kernel is chosen anew)
// and returns the logits and, in training, entries of every parameter's gradient.
class Probe {
 public:
  explicit Probe(const std::string& arch) : net_(arch_by_name(arch), 10) {
    net_.init(InitKind::kaiming, 3);
    net_.set_dropout(0.f);
    x_ = Tensor::plain(net_.input_shape(2));
    uint32_t seed = 12345;
    for (int64_t i = 0; i < x_.size(); ++i) {
      seed = seed * 1664525u + 1013904223u;
      x_.data()[i] = static_cast<float>(seed >> 8) / 16777216.f - 0.4f;
    }
    one_ = Tensor::plain(net_.input_shape(1));
    std::fill(one_.data(), one_.data() + one_.size(), 0.f);
  }

  std::vector<float> outputs(Mode mode) {
    net_.forward(one_, mode);
    const Tensor logits = to_plain(net_.forward(x_, mode));
    std::vector<float> out(logits.data(), logits.data() + logits.size());
    if (mode == Mode::eval) return out;
    const Tensor& d = net_.d_logits();
    for (int64_t i = 0; i < d.size(); ++i) d.data()[i] = static_cast<float>(i % 7) * 0.1f - 0.3f;
    net_.backward();
    for (Param* p : net_.params())  // about 4096 entries of each gradient, spread over it
      for (int64_t i = 0; i < p->size(); i += std::max<int64_t>(1, p->size() / 4096)) out.push_back(p->grad[i]);
    return out;
  }

 private:
  Network net_;
  Tensor x_, one_;
};

// The largest difference, over the largest magnitude of the reference.
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < want.size(); ++i)
    diff = std::max(diff, double(std::fabs(got[i] - want[i]))), scale = std::max(scale, double(std::fabs(want[i])));
  return diff / scale;
}

TEST(Tuning, EveryCandidateComputesWhatTheTablesKernelComputes) {
  for (const std::string arch : {"alexnet-mini", "alexnet"}) {
    Probe probe(arch);
    for (Mode mode : {Mode::eval, Mode::train}) {
      force_choices({});
      const auto before = choices_made();
      const std::vector<float> table = probe.outputs(mode);
      int alternatives = 0;
      for (const auto& [key, choice] : choices_made()) {
        // another architecture's or mode's decision, or batch 1's
        if (before.count(key) || key.compare(key.size() - 4, 4, " @ 2") != 0) continue;
        for (const std::string& other : choice.offered) {
          if (other == choice.offered[0]) continue;
          force_choices({{key, other}});
          const std::vector<float> got = probe.outputs(mode);
          EXPECT_EQ(choices_made().at(key).kernel, other);
          ASSERT_EQ(got.size(), table.size());
          EXPECT_LT(relative_error(got, table), 2e-5) << arch << ": " << key << " on " << other;
          ++alternatives;
        }
      }
      force_choices({});
      // With blocked layouts (AVX2, AVX-512) Winograd is offered on every 3x3 layer at least.
      if (activation_tag() != tag::any) {
        EXPECT_GE(alternatives, 3) << arch;
      }
    }
  }
}

// The command, with the cache in `cache` and tuning on.
test::Result tune(const fs::path& cache, const std::string& flags = "") {
  return test::run_shell("ALEXNET_TUNE=on XDG_CACHE_HOME=" + cache.string() + " " + ALEXNET_BINARY +
                         " tune --verbose --arch alexnet-mini --batch 4 --mode infer" + flags);
}

fs::path cache_file(const fs::path& cache) {
  for (const auto& e : fs::directory_iterator(cache / "alexnet"))
    if (e.path().filename().string().rfind("kernels-", 0) == 0) return e.path();
  return {};
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

fs::path fresh_cache(const std::string& name) {
  const fs::path p = test::temp_root() / "tuning" / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(Tuning, MeasuresOnceThenReadsTheCache) {
  const fs::path cache = fresh_cache("once");
  const test::Result first = tune(cache);
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_GT(count(first.out, "[measured]") + count(first.out, "measured, "), 0u) << first.out;
  EXPECT_EQ(count(first.out, "(cached)"), 0u) << first.out;
  const json j = json::parse(read_file(cache_file(cache).string()));
  EXPECT_FALSE(j["choices"].empty());
  const test::Result second = tune(cache);
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_EQ(count(second.out, "alexnet: measured "), 0u) << "measured again:\n" << second.out;
  EXPECT_GT(count(second.out, "(cached)"), 0u) << second.out;
  const test::Result again = tune(cache, " --again");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_EQ(count(again.out, "(cached)"), 0u) << again.out;
  EXPECT_GT(count(again.out, "alexnet: measured "), 0u) << again.out;
}

// Each bad cache: the command succeeds, says why under --verbose, measures, and writes a good one.
TEST(Tuning, ABadCacheIsMeasuredAgainNeverAnError) {
  const fs::path cache = fresh_cache("bad");
  ASSERT_EQ(tune(cache).code, 0);
  const fs::path file = cache_file(cache);
  const std::string good = read_file(file.string());
  json other = json::parse(good);
  other["machine"] = "another CPU";
  json unknown = json::parse(good);
  for (auto& [key, v] : unknown["choices"].items()) v = "a kernel of a later version";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {good.substr(0, good.size() / 2), "unreadable kernel cache"},
      {other.dump(), "measured on another machine or build"},
      {unknown.dump(), ""},  // every entry ignored: measured again
      {"", "unreadable kernel cache"}};
  for (const auto& [text, why] : cases) {
    write_file_atomic(file.string(), text);
    const test::Result r = tune(cache);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_NE(r.out.find(why), std::string::npos) << r.out;
    EXPECT_GT(count(r.out, "alexnet: measured "), 0u) << r.out;
    EXPECT_EQ(json::parse(read_file(file.string()))["machine"], json::parse(good)["machine"]);
  }
  // A cache folder that cannot be made (a file stands where it would be): still no error.
  const fs::path blocked = fresh_cache("blocked");
  write_file_atomic((blocked / "alexnet").string(), "a file, not a folder");
  const test::Result r = tune(blocked);
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "kernel choices not saved"), 1u) << "one line, not one a decision:\n" << r.out;
}

// ALEXNET_TUNE=off: the table everywhere, nothing measured, nothing written.
TEST(Tuning, OffTakesTheTableAndWritesNothing) {
  const fs::path cache = fresh_cache("off");
  const test::Result r = test::run_shell("ALEXNET_TUNE=off XDG_CACHE_HOME=" + cache.string() + " " + ALEXNET_BINARY +
                                         " tune --verbose --arch alexnet-mini --batch 4 --mode both --train-batch 8");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "alexnet: measured") + count(r.out, "[measured") + count(r.out, " measured,"), 0u) << r.out;
  EXPECT_GT(count(r.out, "[forward table"), 0u) << r.out;
  EXPECT_FALSE(fs::exists(cache / "alexnet"));
}

}  // namespace
}  // namespace alexnet
