// The CPU quota read from cgroup files (fake trees of both versions here), and the threads it
// allows by default; under a real quota (tools/cpu_share.sh, root only) the command uses them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tensor/cpu_quota.hpp"
#include "test_util.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

void put(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(CpuQuota, V2TakesTheStrictestCpuMaxUpToTheRoot) {
  const fs::path root = test::temp_root() / "alexnet_cpu_quota" / "v2";
  fs::remove_all(root);
  put(root / "self", "0::/machine/app\n");
  put(root / "cg/cpu.max", "max 100000\n");
  put(root / "cg/machine/cpu.max", "150000 100000\n");
  put(root / "cg/machine/app/cpu.max", "max 100000\n");
  EXPECT_DOUBLE_EQ(*cpu_quota_cores((root / "cg").string(), (root / "self").string()), 1.5);
  put(root / "cg/machine/app/cpu.max", "50000 100000\n");
  EXPECT_DOUBLE_EQ(*cpu_quota_cores((root / "cg").string(), (root / "self").string()), 0.5);
  put(root / "cg/machine/app/cpu.max", "max 100000\n");
  put(root / "cg/machine/cpu.max", "max 100000\n");
  EXPECT_FALSE(cpu_quota_cores((root / "cg").string(), (root / "self").string()));
  EXPECT_FALSE(cpu_quota_cores((root / "none").string(), (root / "self").string()));  // unreadable: no limit
}

TEST(CpuQuota, V1ReadsTheCpuControllersQuotaAndPeriod) {
  const fs::path root = test::temp_root() / "alexnet_cpu_quota" / "v1";
  fs::remove_all(root);
  put(root / "self", "5:memory:/x\n3:cpu,cpuacct:/docker/abc\n1:name=systemd:/y\n");
  put(root / "cg/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
  put(root / "cg/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
  put(root / "cg/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "100000\n");
  put(root / "cg/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
  EXPECT_DOUBLE_EQ(*cpu_quota_cores((root / "cg").string(), (root / "self").string()), 1.0);
  put(root / "cg/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "-1\n");
  EXPECT_FALSE(cpu_quota_cores((root / "cg").string(), (root / "self").string()));
}

TEST(CpuQuota, ThreadsAreTheQuotasCoresRoundedUpWithinTheVisibleOnes) {
  EXPECT_EQ(default_threads(2, std::nullopt), 2);
  EXPECT_EQ(default_threads(2, 1.0), 1);
  EXPECT_EQ(default_threads(2, 1.2), 2);  // measured: faster than 1 thread (docs/training.md)
  EXPECT_EQ(default_threads(64, 1.0), 1);  // docker --cpus 1 on a big host
  EXPECT_EQ(default_threads(64, 0.25), 1);
  EXPECT_EQ(default_threads(2, 8.0), 2);
}

// The command itself, under a real quota of one of this machine's cores (needs root and at
// least 2 cores): it computes with one thread, and says so.
TEST(CpuQuota, TheCommandComputesWithTheQuotasThreads) {
  if (test::run_shell("[ \"$(id -u)\" = 0 ] && [ \"$(nproc)\" -ge 2 ]").code != 0) GTEST_SKIP() << "needs root and 2 cores";
  const std::string share = std::to_string(1.0 / std::stoi(test::run_shell("nproc").out));
  // (ctest sets OMP_NUM_THREADS for the other tests; here the default is what is tested.)
  const std::string alexnet = std::string("env -u OMP_NUM_THREADS ") + ALEXNET_BINARY;
  const auto r = test::run_shell(std::string(ALEXNET_SOURCE_DIR) + "/tools/cpu_share.sh " + share + " -- " +
                                 alexnet + " bench --arch alexnet-mini --batch 4 --reps 1 --warmup 0 --json");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"threads\":1}"), std::string::npos) << r.out;
  const std::string cores = test::run_shell("nproc").out;
  const auto free = test::run_shell(alexnet + " bench --arch alexnet-mini --batch 4 --reps 1 --warmup 0 --json");
  EXPECT_NE(free.out.find("\"threads\":" + cores.substr(0, cores.size() - 1) + "}"), std::string::npos) << free.out;
}

}  // namespace
}  // namespace alexnet
