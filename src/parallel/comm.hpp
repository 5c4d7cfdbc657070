// Data-parallel communication over MPI (Open MPI). When the process was started by mpirun,
// comm() initialises MPI and each rank trains on its share of every global batch; started
// plainly, it is a world of one and every call is a no-op, so one binary serves both.
// Gradients are summed with non-blocking allreduces, one bucket per layer, started as soon as
// the backward pass has produced that layer's gradients, and awaited before the SGD step.
#pragma once
#include <cstdint>
#include <vector>

namespace alexnet {

class Comm {
 public:
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool leader() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  void allreduce_sum(double* data, int64_t n);  // blocking, small
  void start_allreduce_sum(float* data, int64_t n);  // non-blocking, in place
  void wait_all();
  // Ends the whole job (every rank) with an error code, e.g. when one rank hits an error.
  [[noreturn]] void abort(int code);

  double allreduce_seconds() const { return seconds_; }  // waiting for reductions
  int64_t bytes_reduced() const { return bytes_; }
  void reset_counters() { seconds_ = 0, bytes_ = 0; }

  ~Comm();

 private:
  friend Comm& comm();
  Comm();
  int rank_ = 0, size_ = 1;
  bool initialised_ = false;
  std::vector<void*> requests_;  // MPI_Request handles, opaque here
  double seconds_ = 0;
  int64_t bytes_ = 0;
};

Comm& comm();
bool mpi_available();  // built with MPI

}  // namespace alexnet
