// The cores a CPU quota lets this process use: a container's limit (docker --cpus, Kubernetes'
// limits.cpu) or a cgroup's, which OpenMP does not read. Left alone, OpenMP starts a thread per
// visible core; under a quota of fewer cores those threads are stopped by turns at every period's
// end, mid-way through the parallel regions each of them waits in. Measured on 2 cores with a
// quota of one (docs/training.md): training alexnet-mini at 1,926 images/s with 2 threads and
// 2,137 with 1.
#pragma once
#include <optional>
#include <string>

namespace alexnet {

// The quota, in cores (quota / period), of the strictest cgroup from this process's own up to
// the root, cgroup v2 (cpu.max) or v1 (cpu.cfs_quota_us / cpu.cfs_period_us); none when there
// is no limit or it cannot be read. `root` and `self` are for tests (a fake /sys/fs/cgroup and
// /proc/self/cgroup).
std::optional<double> cpu_quota_cores(const std::string& root = "/sys/fs/cgroup",
                                      const std::string& self = "/proc/self/cgroup");

// The threads to compute with when none are asked for: OpenMP's default (the visible cores, or
// OMP_NUM_THREADS), at most the quota's cores rounded up (a quota of 1.2 cores computes faster
// with 2 threads than with 1).
int default_threads(int visible, std::optional<double> quota_cores);

}  // namespace alexnet
