#include "tensor/cpu_quota.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace alexnet {

namespace {

std::optional<double> read_number(const std::string& path) {
  std::ifstream f(path);
  double v = 0;
  if (f >> v) return v;
  return std::nullopt;
}

// v2: "max 100000" (no limit) or "150000 100000".
std::optional<double> v2_quota(const std::string& dir) {
  std::ifstream f(dir + "/cpu.max");
  std::string quota;
  double period = 0;
  if (!(f >> quota >> period) || quota == "max" || period <= 0) return std::nullopt;
  try {
    return std::stod(quota) / period;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// v1: a quota of -1 is no limit.
std::optional<double> v1_quota(const std::string& dir) {
  const auto quota = read_number(dir + "/cpu.cfs_quota_us"), period = read_number(dir + "/cpu.cfs_period_us");
  if (!quota || !period || *quota <= 0 || *period <= 0) return std::nullopt;
  return *quota / *period;
}

// The strictest quota on the way from `dir` (below `root`) up to `root`.
std::optional<double> strictest(const std::string& root, std::string rel, bool v2) {
  std::optional<double> best;
  for (;;) {
    const std::string dir = root + rel;
    if (const auto q = v2 ? v2_quota(dir) : v1_quota(dir); q && (!best || *q < *best)) best = q;
    if (rel.empty() || rel == "/") break;
    rel = rel.substr(0, rel.find_last_of('/'));
  }
  return best;
}

}  // namespace

std::optional<double> cpu_quota_cores(const std::string& root, const std::string& self) {
  // /proc/self/cgroup: "0::/path" (v2) or "N:cpu,cpuacct:/path" (v1), a line a hierarchy.
  std::ifstream f(self);
  for (std::string line; std::getline(f, line);) {
    const size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (line.compare(0, a, "0") == 0 && controllers.empty()) {
      if (auto q = strictest(root, path, true)) return q;
      continue;
    }
    std::stringstream names(controllers);
    for (std::string c; std::getline(names, c, ',');)
      if (c == "cpu") {
        // Mounted as cpu or as cpu,cpuacct (a link to it on most systems).
        for (const std::string mount : {"/cpu", "/cpu,cpuacct"})
          if (auto q = strictest(root + mount, path, false)) return q;
      }
  }
  return std::nullopt;
}

int default_threads(int visible, std::optional<double> quota_cores) {
  if (!quota_cores) return visible;
  return std::clamp(static_cast<int>(std::ceil(*quota_cores - 1e-6)), 1, std::max(1, visible));
}

}  // namespace alexnet
