// Data-parallel communication over MPI (Open MPI). When the process was started by mpirun,
// comm() initialises MPI and each rank trains on its share of every global batch; started
// plainly, it is a world of one and every call is a no-op, so one binary serves both.
// Gradients are summed with non-blocking allreduces, one bucket per layer, started as soon as
// the backward pass has produced that layer's gradients, and awaited before the SGD step.
//
// Open MPI moves a non-blocking collective only while some thread is inside an MPI call: the
// TCP transport sends 128 KB fragments one progress call at a time, and each round of the
// allreduce starts only from such a call. So, by default, a progress thread keeps testing the
// reductions in flight while the backward computes (CommProgress::thread); CommProgress::poke
// only tests them once after each layer's backward, which hides almost nothing of a large
// transfer (docs/distributed.md measures both).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace alexnet {

enum class CommProgress { poke, thread };
CommProgress comm_progress_from_name(const std::string& name);  // "thread" | "poke"; a UserError otherwise
const char* name_of(CommProgress progress);

class Comm {
 public:
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool leader() const { return rank_ == 0; }
  bool distributed() const { return size_ > 1; }

  void set_progress(CommProgress p);  // before the first reduction; poke until called
  void allreduce_sum(double* data, int64_t n);  // blocking, small
  void start_allreduce_sum(float* data, int64_t n);  // non-blocking, in place
  void wait_all();

  // Model parallelism (layers/exchange.hpp): blocking, on the training thread. counts[k] floats
  // belong to rank k, laid out in rank order.
  std::vector<int64_t> allgather_count(int64_t mine);                         // every rank's `mine`
  void allgather(const float* mine, float* all, const std::vector<int64_t>& counts);
  void allgather_in_place(float* all, const std::vector<int64_t>& counts);
  void reduce_scatter_sum(const float* all, float* mine, const std::vector<int64_t>& counts);
  // send holds send_counts[k] floats for each rank k in turn; recv gets recv_counts[k] from each.
  void alltoall(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                const std::vector<int64_t>& recv_counts);
  // Ends the whole job (every rank) with an error code, e.g. when one rank hits an error.
  [[noreturn]] void abort(int code);

  double wait_seconds() const { return seconds_; }       // blocked in wait_all
  double sync_seconds() const { return sync_seconds_; }  // blocked in allreduce_sum
  double exchange_seconds() const { return exchange_seconds_; }  // in the model-parallel calls
  int64_t bytes_reduced() const { return bytes_; }
  // What this rank sends, by the algorithms' arithmetic: a ring allreduce 2(N-1)/N of the
  // vector, an allgather or reduce-scatter (N-1)/N of the whole, an all-to-all what leaves it.
  int64_t bytes_sent() const { return sent_; }
  void reset_counters() { seconds_ = 0, sync_seconds_ = 0, exchange_seconds_ = 0, bytes_ = 0, sent_ = 0; }

  ~Comm();

 private:
  friend Comm& comm();
  Comm();
  struct InFlight;  // the requests, and the progress thread that tests them
  int rank_ = 0, size_ = 1;
  bool initialised_ = false;
  std::unique_ptr<InFlight> in_flight_;
  double seconds_ = 0, sync_seconds_ = 0, exchange_seconds_ = 0;
  int64_t bytes_ = 0, sent_ = 0;
};

Comm& comm();
bool mpi_available();  // built with MPI

}  // namespace alexnet
