#include "kernels/tuning.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "kernels/simd_level.hpp"
#include "tensor/engine.hpp"
#include "tensor/layout.hpp"
#include "util/atomic_file.hpp"
#include "util/error.hpp"
#include "util/verbose.hpp"

namespace alexnet {

namespace {

// Measuring: up to kRounds rounds, each candidate once a round, fewer once a decision has
// taken kDecisionBudget, but at least two: a candidate's first run pays for first-touched pages
// and transformed filters, and its minimum leaves that out.
constexpr int kRounds = 4;
constexpr double kDecisionBudget = 0.4;  // seconds
// A candidate other than the table's must be this much faster to be kept.
constexpr double kMargin = 0.98;

struct TunerState {
  std::mutex mutex;
  std::map<std::string, Choice> made;
  std::map<std::string, std::string> forced, cache;
  bool cache_loaded = false, measuring = true;
  bool cache_unwritable = false;  // said once; the choices stay in this process
};

TunerState& state() {
  static TunerState s;
  return s;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown cpu";
}

// This build: the file holding this code (the program, libalexnet.so or the Python module),
// by path, size and modification time.
std::string build_identity() {
  Dl_info info{};
  struct stat st {};
  if (!dladdr(reinterpret_cast<void*>(&build_identity), &info) || !info.dli_fname || stat(info.dli_fname, &st) != 0)
    return "unknown build";
  return std::string(info.dli_fname) + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtime);
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

// The choices a cache file holds for this machine; empty, with a line under --verbose (unless
// quiet: the line was said when the file was first read), when it cannot be used.
std::map<std::string, std::string> load_cache(const std::string& path, bool quiet = false) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::exists(path, ec)) return {};
  try {
    const nlohmann::json j = nlohmann::json::parse(read_file(path));
    if (j.value("machine", "") != machine_identity()) {
      if (!quiet) verbose_line(path + ": measured on another machine or build; measuring again");
      return {};
    }
    return read_choices(j.dump(), path);
  } catch (const std::exception& e) {
    if (!quiet) verbose_line(path + ": unreadable kernel cache (" + e.what() + "); measuring again");
    return {};
  }
}

// False (and one line under --verbose) when the file cannot be written.
bool save_cache(const std::map<std::string, std::string>& choices) {
  const std::string path = tuning_cache_path();
  if (path.empty()) return true;
  try {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::map<std::string, Choice> all;
    // What other processes wrote since, kept: read again (quietly), merged, written whole.
    for (const auto& [key, kernel] : load_cache(path, true)) all[key] = {kernel, ChoiceSource::measured, {}};
    for (const auto& [key, kernel] : choices) all[key] = {kernel, ChoiceSource::measured, {}};
    write_file_atomic(path, choices_text(all));
    return true;
  } catch (const std::exception& e) {
    verbose_line(path + ": kernel choices not saved (" + e.what() + ")");
    return false;
  }
}

bool offered(const std::vector<Candidate>& candidates, const std::string& name) {
  for (const auto& c : candidates)
    if (c.name == name) return true;
  return false;
}

// The fastest candidate by interleaved rounds; the table's (the first) unless beaten by kMargin.
// times: each candidate's best, "winograd 1.20 ms, onednn 1.41 ms", for --verbose.
std::string measure(const std::vector<Candidate>& candidates, std::string& times) {
  std::vector<std::function<void()>> runs;
  std::vector<std::string> names;
  for (const auto& c : candidates) {
    try {
      runs.push_back(c.prepare());
      names.push_back(c.name);
    } catch (const std::exception& e) {  // a candidate oneDNN cannot build here is not one
      verbose_line("kernel " + c.name + " not measured: " + e.what());
    }
  }
  if (names.empty() || names[0] != candidates[0].name) return candidates[0].name;
  std::vector<double> best(runs.size(), INFINITY);
  const auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds && (round < 2 || seconds_since(start) < kDecisionBudget); ++round)
    for (size_t i = 0; i < runs.size(); ++i) {
      const auto t = std::chrono::steady_clock::now();
      runs[i]();
      best[i] = std::min(best[i], seconds_since(t));
    }
  size_t win = 0;
  for (size_t i = 1; i < runs.size(); ++i)
    if (best[i] < best[win] && best[i] < kMargin * best[0]) win = i;
  char t[64];
  for (size_t i = 0; i < runs.size(); ++i)
    std::snprintf(t, sizeof t, "%s%s %.2f ms", i ? ", " : "", names[i].c_str(), best[i] * 1e3), times += t;
  return names[win];
}

// When measuring is not allowed: the choice of the nearest batch size measured at this signature.
const Choice* nearest(const TunerState& s, const DecisionPoint& p, const std::vector<Candidate>& candidates) {
  const Choice* found = nullptr;
  double distance = INFINITY;
  for (const auto& [key, choice] : s.made) {
    const auto at = key.rfind(" @ ");
    if (at == std::string::npos || key.compare(0, at, p.signature) != 0 || at != p.signature.size()) continue;
    const double d = std::abs(std::log(std::stod(key.substr(at + 3)) / p.batch));
    if (d < distance && offered(candidates, choice.kernel)) distance = d, found = &choice;
  }
  return found;
}

}  // namespace

const char* choice_source_name(ChoiceSource s) {
  switch (s) {
    case ChoiceSource::measured:
      return "measured";
    case ChoiceSource::cached:
      return "measured (cached)";
    case ChoiceSource::recorded:
      return "the run's record";
    case ChoiceSource::table:
      break;
  }
  return "table";
}

std::string DecisionPoint::key() const { return signature + " @ " + std::to_string(batch); }

TuneMode tune_mode() {
  const char* v = std::getenv("ALEXNET_TUNE");
  const std::string s = v ? v : "";
  if (s == "off" || s == "0") return TuneMode::off;
  if (s == "again") return TuneMode::again;
  return TuneMode::on;
}

namespace {
// choose_kernel's order: recorded, this process's, the cache's, measured (or the nearest size's).
Choice decide(TunerState& s, const DecisionPoint& point, const std::vector<Candidate>& candidates) {
  const std::string key = point.key();
  const TuneMode mode = tune_mode();
  if (auto f = s.forced.find(key); f != s.forced.end()) {
    if (offered(candidates, f->second)) return {f->second, ChoiceSource::recorded, {}};
    std::fprintf(stderr, "alexnet: warning: the run's kernels.json names %s for %s, which this machine does not offer\n",
                 f->second.c_str(), key.c_str());
  }
  const Choice table{candidates.at(0).name, ChoiceSource::table, {}};
  if (mode == TuneMode::off || candidates.size() == 1) return table;
  if (auto m = s.made.find(key); m != s.made.end() && offered(candidates, m->second.kernel)) return m->second;
  if (!s.cache_loaded && mode == TuneMode::on) s.cache = load_cache(tuning_cache_path());
  s.cache_loaded = true;
  if (auto h = s.cache.find(key); h != s.cache.end() && offered(candidates, h->second))
    return {h->second, ChoiceSource::cached, {}};
  if (!s.measuring) {
    const Choice* n = nearest(s, point, candidates);
    return n ? *n : table;
  }
  const auto start = std::chrono::steady_clock::now();
  std::string times;
  const Choice c{measure(candidates, times), ChoiceSource::measured, {}};
  verbose_line("measured " + key + ": " + c.kernel + " (" + times + "; " +
               std::to_string(int(seconds_since(start) * 1000)) + " ms in all)");
  s.cache[key] = c.kernel;
  if (!s.cache_unwritable) s.cache_unwritable = !save_cache({{key, c.kernel}});
  return c;
}
}  // namespace

Choice choose_kernel(const DecisionPoint& point, const std::vector<Candidate>& candidates) {
  TunerState& s = state();
  std::lock_guard<std::mutex> lock(s.mutex);
  Choice c = decide(s, point, candidates);
  c.offered.clear();
  for (const auto& candidate : candidates) c.offered.push_back(candidate.name);
  return s.made[point.key()] = c;
}

void allow_measuring(bool on) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().measuring = on;
}

void force_choices(const std::map<std::string, std::string>& by_key) {
  std::lock_guard<std::mutex> lock(state().mutex);
  state().forced = by_key;
}

std::map<std::string, Choice> choices_made() {
  std::lock_guard<std::mutex> lock(state().mutex);
  return state().made;
}

std::string machine_identity() {
  static const std::string id = cpu_model() + "; oneDNN " + cpu_isa_name() + "; own kernels " +
                                simd_level_name(simd_level()) + "; " + std::to_string(num_threads()) +
                                " threads; " + build_identity();
  return id;
}

std::string tuning_cache_path() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string dir;
  if (xdg && *xdg == '/') dir = xdg;
  else if (home && *home) dir = std::string(home) + "/.cache";
  else return "";
  char id[17];
  std::snprintf(id, sizeof id, "%016llx", static_cast<unsigned long long>(fnv1a(machine_identity())));
  return dir + "/alexnet/kernels-" + id + ".json";
}

std::string choices_text(const std::map<std::string, Choice>& choices) {
  nlohmann::json j;
  j["machine"] = machine_identity();
  j["choices"] = nlohmann::json::object();
  for (const auto& [key, c] : choices) j["choices"][key] = c.kernel;
  return j.dump(1) + "\n";
}

std::map<std::string, std::string> read_choices(const std::string& text, const std::string& what) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    fail(what + ": not JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("choices") || !j["choices"].is_object())
    fail(what + ": expected an object with \"choices\"");
  std::map<std::string, std::string> out;
  for (const auto& [key, v] : j["choices"].items()) {
    if (!v.is_string()) fail(what + ": the choice for \"" + key + "\" is not a kernel's name");
    out[key] = v.get<std::string>();
  }
  return out;
}

}  // namespace alexnet
