// Many processes (Open MPI), data-parallel and hybrid: two ranks, over shared memory on this
// machine or over TCP between two network namespaces, hold identical weights after several
// steps, equal within float tolerance to one process with the same global batch; checkpoints
// resume between the modes and numbers of ranks; a rank that is killed ends the whole job,
// quickly, and the last checkpoint stays good.
#include <gtest/gtest.h>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "model/arch.hpp"
#include "model/network.hpp"
#include "parallel/comm.hpp"
#include "formats/safetensors.hpp"
#include "test_util.hpp"

namespace alexnet {
namespace {

namespace fs = std::filesystem;

using Out = test::Result;
Out sh(const std::string& cmd) { return test::run_shell(cmd); }

fs::path data_dir() {
  return test::write_idx_dir(test::temp_root() / "alexnet_mpi_test" / "data", 256, [](int i, int p) {
    return static_cast<uint8_t>(((p % 28) * (i % 10 + 1) + p / 28 * 5 + 3 * i) & 0xff);
  });
}

// CI runs as root, which Open MPI refuses unless told.
const char* kMpirun = "env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun --oversubscribe -np 2 ";

// One mpirun at a time across the test processes (ctest -j runs the native and AVX2 copies of
// these tests side by side): two jobs of two one-thread ranks each would oversubscribe 2 cores.
std::string one_mpirun_at_a_time(const std::string& cmd) {
  return "flock " + (fs::temp_directory_path() / "alexnet_tests_mpirun.lock").string() + " " + cmd;
}

// Two runs' checkpoints hold the same weights within float summation order.
void expect_same_weights(const fs::path& one, const fs::path& two) {
  const SafetensorsFile x = read_safetensors((one / "checkpoint.safetensors").string());
  const SafetensorsFile y = read_safetensors((two / "checkpoint.safetensors").string());
  for (const auto& [name, t] : x.tensors) {
    if (name.rfind("momentum/", 0) == 0) continue;
    const auto& u = y.tensors.at(name).data;
    double scale = 0, diff = 0;
    for (size_t i = 0; i < t.data.size(); ++i) {
      scale = std::max(scale, static_cast<double>(std::abs(t.data[i])));
      diff = std::max(diff, static_cast<double>(std::abs(t.data[i] - u[i])));
    }
    EXPECT_LE(diff, 1e-5 * std::max(scale, 0.1)) << name << " max |w| " << scale;
  }
}

class Mpi : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!mpi_available()) GTEST_SKIP() << "built without MPI";
    if (sh("command -v mpirun").code != 0) GTEST_SKIP() << "no mpirun";
  }
};

// A short run, its folders fresh: `one` for a single process, `two` for the ranks.
// 2 epochs of one step of 32 (72 samples, 10 held out), one thread; dropout, crops, flips and
// colour noise all on. Few steps, so that the comparison can be tight: only the summation order
// of the gradients differs, and over more steps that difference grows chaotically (a ReLU or a
// max pool that tips the other way): after 16 steps on Fashion-MNIST one process with 1 thread
// and with 2 already differ by 1e-2, while after these 4 they differ by ~2e-7. A rank that
// averaged wrongly or skipped a layer would differ by ~1e-2 at once.
struct ShortRun {
  fs::path one, two;
  std::string args;
};
ShortRun short_run(const std::string& tag) {
  ShortRun r{test::temp_root() / "alexnet_mpi_test" / ("one_" + tag), test::temp_root() / "alexnet_mpi_test" / ("two_" + tag),
             " train --arch alexnet-mini --batch 32 --epochs 2 --limit 72 --print-every 0 --val-limit 64 --threads 1 --data " +
                 data_dir().string()};
  fs::remove_all(r.one);
  fs::remove_all(r.two);
  return r;
}

// Data-parallel: every layer's gradients allreduced.
TEST_F(Mpi, TwoRanksMatchOneProcessWithTheSameGlobalBatch) {
  const auto [one, two, args] = short_run("shm");
  const Out a = sh(std::string(ALEXNET_BINARY) + args + " --out " + one.string());
  ASSERT_EQ(a.code, 0) << a.out;
  // (The reductions nudged between layers here; moved by the progress thread, the default, in
  // the test below.)
  const Out b = sh(one_mpirun_at_a_time(kMpirun + std::string(ALEXNET_BINARY) + args + " --parallel data --comm-progress poke --out " + two.string()));
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("weights identical on 2 ranks"), std::string::npos) << b.out;
  expect_same_weights(one, two);
  const Out bad = sh(std::string(ALEXNET_BINARY) + args + " --comm-progress sometimes --out " + (two / "x").string());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--comm-progress must be thread or poke, not 'sometimes'"), std::string::npos) << bad.out;
}

// Hybrid parallelism (the default under mpirun, --parallel auto): the convolutions
// data-parallel, fc6-fc8 split by neurons across the ranks.
// The same weights as one process (the checkpoint is global: every rank's slice gathered), and
// each step moves the activations instead of the fc weights' gradients.
TEST_F(Mpi, HybridRanksMatchOneProcess) {
  const auto [one, two, args] = short_run("hybrid");
  const Out a = sh(std::string(ALEXNET_BINARY) + args + " --out " + one.string());
  ASSERT_EQ(a.code, 0) << a.out;
  const Out b = sh(one_mpirun_at_a_time(kMpirun + std::string(ALEXNET_BINARY) + args + " --out " + two.string()));  // auto: hybrid
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("weights identical on 2 ranks"), std::string::npos) << b.out;
  expect_same_weights(one, two);
  std::ifstream f(two / "metrics.jsonl");
  const std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(log.find("\"parallel\":\"hybrid\""), std::string::npos) << log;
  // Per step each rank sends: in the ring allreduce of the convolutions' gradients, their size;
  // of the activations, at most: its 16 rows of the 256 flattened features forward, and their
  // gradients back; its half of fc6's and of fc7's 512 outputs for all 32 rows forward, and
  // their gradients back; its half of fc8's 10 logits for the other rank's 16 rows forward, and
  // their gradients back. But fc7's and fc8's dropout zero half of fc6's and fc7's outputs, and
  // the ReLUs about half of the rest, which need not travel (layers/exchange_codec.hpp).
  Network net(arch_by_name("alexnet-mini"), 10);
  int64_t conv_bytes = 0;
  for (const Param* p : net.params())
    if (p->name.rfind("conv", 0) == 0) conv_bytes += p->size() * 4;
  const int64_t dense = 4 * (2 * 16 * 256 + 2 * 2 * 32 * 256 + 2 * 16 * 5);
  const size_t at = log.rfind("\"bytes_sent_per_step\":");
  ASSERT_NE(at, std::string::npos) << log;
  const int64_t activations = std::stoll(log.substr(at + 22)) - conv_bytes;
  EXPECT_GT(activations, dense / 10) << log;
  EXPECT_LT(activations, dense / 2) << log;
  const Out bad = sh(std::string(ALEXNET_BINARY) + args + " --parallel pipeline --out " + (two / "x").string());
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.out.find("--parallel must be auto, data or hybrid, not 'pipeline'"), std::string::npos) << bad.out;
}

// A checkpoint does not depend on how it was trained: a hybrid run killed after its first
// epoch's checkpoint resumes as one process, and a one-process run resumes as hybrid ranks,
// both ending where an uninterrupted run ends.
TEST_F(Mpi, CheckpointsResumeAcrossParallelModes) {
  const auto [one, two, args] = short_run("modes");
  const fs::path three = two.string() + "_back";
  fs::remove_all(three);
  const Out a = sh(std::string(ALEXNET_BINARY) + args + " --out " + one.string());
  ASSERT_EQ(a.code, 0) << a.out;
  const std::string killed = " --kill-after-steps 2";  // in epoch 2, after epoch 1's checkpoint
  const Out h = sh(one_mpirun_at_a_time("timeout 120 " + std::string(kMpirun) + ALEXNET_BINARY + args + killed +
                                        " --parallel hybrid --out " + two.string()));
  ASSERT_NE(h.code, 0) << h.out;
  const Out h1 = sh(std::string(ALEXNET_BINARY) + " train --resume " + two.string());
  ASSERT_EQ(h1.code, 0) << h1.out;
  EXPECT_NE(h1.out.find("resuming"), std::string::npos) << h1.out;
  expect_same_weights(one, two);
  const Out d = sh(std::string(ALEXNET_BINARY) + args + killed + " --out " + three.string());
  ASSERT_NE(d.code, 0) << d.out;
  const Out d2 = sh(one_mpirun_at_a_time("timeout 120 " + std::string(kMpirun) + ALEXNET_BINARY + " train --resume " +
                                         three.string() + " --parallel hybrid"));
  ASSERT_EQ(d2.code, 0) << d2.out;
  EXPECT_NE(d2.out.find("weights identical on 2 ranks"), std::string::npos) << d2.out;
  expect_same_weights(one, three);
}

// The same over TCP between two network namespaces ("hosts") joined by shaped links
// (tools/netns_cluster.sh), data-parallel with the progress thread moving the reductions, and
// hybrid; needs root.
TEST_F(Mpi, TwoHostsOverShapedLinksMatchOneProcess) {
  if (sh("[ \"$(id -u)\" = 0 ] && ip netns add alexnet-probe-$$ && ip netns del alexnet-probe-$$").code != 0)
    GTEST_SKIP() << "network namespaces need root";
  const auto [one, two, args] = short_run("ns");
  const Out a = sh(std::string(ALEXNET_BINARY) + args + " --out " + one.string());
  ASSERT_EQ(a.code, 0) << a.out;
  const Out b = sh(one_mpirun_at_a_time(std::string(ALEXNET_SOURCE_DIR) + "/tools/netns_cluster.sh --ranks 2 --rate 200mbit --timeout 120 -- " +
                                         ALEXNET_BINARY + args + " --parallel data --out " + two.string()));
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("links 200mbit"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("weights identical on 2 ranks"), std::string::npos) << b.out;
  expect_same_weights(one, two);
  // What each step moved: alexnet-mini's 2.2 MB of gradients.
  std::ifstream f(two / "metrics.jsonl");
  const std::string log((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const int64_t bytes = Network(arch_by_name("alexnet-mini"), 10).num_params() * 4;
  EXPECT_NE(log.find("\"allreduce_bytes_per_step\":" + std::to_string(bytes)), std::string::npos) << log;
  // Hybrid across the same links: its exchanges (only the units the next layer uses) over TCP.
  const fs::path three = two.string() + "_hybrid";
  fs::remove_all(three);
  const Out h = sh(one_mpirun_at_a_time(std::string(ALEXNET_SOURCE_DIR) + "/tools/netns_cluster.sh --ranks 2 --rate 200mbit --timeout 120 -- " +
                                         ALEXNET_BINARY + args + " --parallel hybrid --out " + three.string()));
  ASSERT_EQ(h.code, 0) << h.out;
  EXPECT_NE(h.out.find("weights identical on 2 ranks"), std::string::npos) << h.out;
  expect_same_weights(one, three);
  // Nothing of the cluster is left behind.
  const size_t at = b.out.find("hosts (alexnet-");
  ASSERT_NE(at, std::string::npos) << b.out;
  const std::string prefix = b.out.substr(at + 7, b.out.find('*', at) - at - 7);  // alexnet-PID-
  EXPECT_EQ(sh("ip netns list | grep -c '^" + prefix + "' ; true").out, "0\n") << prefix;
}

TEST_F(Mpi, AKilledRankEndsTheJobAndTheCheckpointStaysGood) {
  const fs::path data = data_dir(), run = test::temp_root() / "alexnet_mpi_test" / "killed";
  fs::remove_all(run);
  // The bound starts once the lock is held: waiting for another test's mpirun is not a hang.
  const Out r = sh(one_mpirun_at_a_time(std::string("timeout 60 ") + kMpirun + ALEXNET_BINARY +
                   " train --arch alexnet-mini --batch 32 --epochs 3 --threads 1 --print-every 0 --val-limit 64"
                   " --checkpoint-every 4 --kill-after-steps 11 --data " + data.string() + " --out " + run.string()));
  EXPECT_NE(r.code, 0) << r.out;
  EXPECT_NE(r.code, 124) << "the job outlived its killed rank by a minute: " << r.out;
  EXPECT_NE(r.out.find("signal 9"), std::string::npos) << r.out;  // mpirun names the cause
  // The checkpoint of step 8 is complete, and resuming (as one process) finishes the run.
  const Out resumed = sh(std::string(ALEXNET_BINARY) + " train --resume " + run.string());
  EXPECT_EQ(resumed.code, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("resuming"), std::string::npos) << resumed.out;
}

}  // namespace
}  // namespace alexnet
