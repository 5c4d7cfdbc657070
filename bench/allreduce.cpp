// The gradients' reductions alone, without training: MPI_Allreduce of a step's buckets (the
// sizes of the layers' parameters, in the order the backward starts them: fc8 first), timed over a
// few repetitions. Under tools/netns_cluster.sh it gives what a link of a
// given rate costs a step when nothing overlaps it; bench/distributed.sh sets it beside a step.
//   mpirun -np 2 build/allreduce_alone ARCH CLASSES REPS   (alexnet 1000 3)
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "model/arch.hpp"
#include "model/network.hpp"

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string arch = argc > 1 ? argv[1] : "alexnet";
  const int classes = argc > 2 ? std::stoi(argv[2]) : 1000;
  const int reps = argc > 3 ? std::stoi(argv[3]) : 3;
  std::vector<std::vector<float>> buckets;
  int64_t bytes = 0;
  for (const auto& [name, shape] : alexnet::Network::param_shapes(alexnet::arch_by_name(arch), classes)) {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    buckets.emplace_back(static_cast<size_t>(n), 1.f);
    bytes += n * 4;
  }
  for (auto& b : buckets)  // opens the connections
    MPI_Allreduce(MPI_IN_PLACE, b.data(), 1, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  double best = 1e30, sum = 0;
  for (int r = 0; r < reps; ++r) {
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    for (auto it = buckets.rbegin(); it != buckets.rend(); ++it)
      MPI_Allreduce(MPI_IN_PLACE, it->data(), static_cast<int>(it->size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s), sum += s;
  }
  if (rank == 0)
    std::printf("{\"arch\": \"%s\", \"ranks\": %d, \"bytes\": %lld, \"seconds_best\": %.4f, \"seconds_mean\": %.4f}\n",
                arch.c_str(), size, static_cast<long long>(bytes), best, sum / reps);
  MPI_Finalize();
}
