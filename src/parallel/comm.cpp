#include "parallel/comm.hpp"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#include "util/error.hpp"

#ifdef ALEXNET_WITH_MPI
#include <mpi.h>
#endif

#include "util/enum_names.hpp"

namespace alexnet {

namespace {
double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
bool launched_by_mpirun() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK"})
    if (std::getenv(v)) return true;
  return false;
}
}  // namespace

namespace {
constexpr EnumName<CommProgress> kProgressNames[] = {{CommProgress::thread, "thread"}, {CommProgress::poke, "poke"}};
}  // namespace

CommProgress comm_progress_from_name(const std::string& name) {
  return enum_from_name(kProgressNames, name, "--comm-progress");
}
const char* name_of(CommProgress progress) { return enum_name(kProgressNames, progress); }

#ifdef ALEXNET_WITH_MPI

bool mpi_available() { return true; }

// The reductions in flight (a finished one is MPI_REQUEST_NULL). With a progress thread, every
// MPI call on them is made under the mutex; the thread tests them every kPoll while any is
// pending and sleeps otherwise. Each
// test sends and receives what the sockets take; 1 ms keeps a 1-10 Gbit/s link busy (socket
// buffers hold more than a millisecond of it) while costing the backward little: polling every
// 50 us made a one-thread rank compute 17-34% longer a step (docs/distributed.md).
struct Comm::InFlight {
  static constexpr auto kPoll = std::chrono::milliseconds(1);
  std::vector<MPI_Request> requests;
  std::mutex m;
  std::condition_variable cv;
  std::thread progress;
  bool stop = false;

  bool pending() const {  // under m
    return std::any_of(requests.begin(), requests.end(), [](MPI_Request r) { return r != MPI_REQUEST_NULL; });
  }
  void test_all() {  // under m
    for (MPI_Request& r : requests) {
      int done = 0;
      if (r != MPI_REQUEST_NULL) MPI_Test(&r, &done, MPI_STATUS_IGNORE);
    }
  }
  void run_progress() {
    std::unique_lock lk(m);
    for (;;) {
      cv.wait(lk, [&] { return stop || pending(); });
      if (stop) return;
      test_all();
      lk.unlock();
      std::this_thread::sleep_for(kPoll);
      lk.lock();
    }
  }
  ~InFlight() {
    if (!progress.joinable()) return;
    {
      std::lock_guard lk(m);
      stop = true;
    }
    cv.notify_one();
    progress.join();
  }
};

Comm::Comm() : in_flight_(std::make_unique<InFlight>()) {
  if (!launched_by_mpirun()) return;
  // Open MPI's non-blocking allreduce (libnbc) would pick, for 2 ranks, an algorithm that sends
  // every rank the whole vector both ways: twice the bytes of its blocking one, which rings.
  // The ring sends 2(N-1)/N of the gradients, the least possible (a user's setting wins).
  setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "1", /*overwrite=*/0);
  // MULTIPLE: the progress thread tests requests while the training thread starts others.
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided);
  initialised_ = true;
  // A rank that dies or errs must end the job, not leave the others waiting.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Comm::~Comm() {
  in_flight_.reset();  // the progress thread ends before MPI does
  if (initialised_) MPI_Finalize();
}

void Comm::set_progress(CommProgress p) {
  InFlight& f = *in_flight_;
  if (p == CommProgress::thread && !f.progress.joinable() && size_ > 1) {
    int provided = 0;
    MPI_Query_thread(&provided);
    if (provided == MPI_THREAD_MULTIPLE) f.progress = std::thread([&f] { f.run_progress(); });
  } else if (p == CommProgress::poke && f.progress.joinable()) {
    in_flight_ = std::make_unique<InFlight>();  // joins the old one's thread
  }
}

void Comm::allreduce_sum(double* data, int64_t n) {
  if (size_ == 1) return;
  const double t0 = now_s();
  MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  sync_seconds_ += now_s() - t0;
}

void Comm::start_allreduce_sum(float* data, int64_t n) {
  if (size_ == 1) return;
  InFlight& f = *in_flight_;
  {
    std::lock_guard lk(f.m);
    f.requests.push_back(MPI_REQUEST_NULL);
    MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, &f.requests.back());
    if (!f.progress.joinable()) f.test_all();  // poke: move what is in flight once per layer
  }
  f.cv.notify_one();
  bytes_ += n * 4;
  sent_ += n * 4 * 2 * (size_ - 1) / size_;
}

void Comm::wait_all() {
  InFlight& f = *in_flight_;
  if (f.requests.empty()) return;
  const double t0 = now_s();
  std::lock_guard lk(f.m);
  MPI_Waitall(static_cast<int>(f.requests.size()), f.requests.data(), MPI_STATUSES_IGNORE);
  f.requests.clear();
  seconds_ += now_s() - t0;
}

namespace {
// MPI counts are ints: a model-parallel exchange is a batch of activations, far below 2^31.
std::vector<int> ints(const std::vector<int64_t>& v) {
  std::vector<int> out;
  for (int64_t x : v) {
    if (x < 0 || x > INT32_MAX) internal_error("an exchange of " + std::to_string(x) + " floats");
    out.push_back(static_cast<int>(x));
  }
  return out;
}
int64_t total(const std::vector<int64_t>& counts) {
  int64_t t = 0;
  for (int64_t c : counts) t += c;
  return t;
}
std::vector<int> offsets(const std::vector<int>& counts) {
  std::vector<int> d(counts.size(), 0);
  for (size_t k = 1; k < counts.size(); ++k) d[k] = d[k - 1] + counts[k - 1];
  return d;
}
}  // namespace

std::vector<int64_t> Comm::allgather_count(int64_t mine) {
  std::vector<int64_t> all(size_, mine);
  if (size_ == 1) return all;
  const double t0 = now_s();
  MPI_Allgather(&mine, 1, MPI_INT64_T, all.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
  exchange_seconds_ += now_s() - t0;
  return all;
}

void Comm::allgather(const float* mine, float* all, const std::vector<int64_t>& counts) {
  if (size_ == 1) return void(std::copy(mine, mine + counts[0], all));
  const std::vector<int> c = ints(counts), d = offsets(c);
  const double t0 = now_s();
  MPI_Allgatherv(mine, c[rank_], MPI_FLOAT, all, c.data(), d.data(), MPI_FLOAT, MPI_COMM_WORLD);
  exchange_seconds_ += now_s() - t0;
  sent_ += total(counts) * 4 * (size_ - 1) / size_;
}

void Comm::allgather_in_place(float* all, const std::vector<int64_t>& counts) {
  if (size_ == 1) return;
  const std::vector<int> c = ints(counts), d = offsets(c);
  const double t0 = now_s();
  MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, all, c.data(), d.data(), MPI_FLOAT, MPI_COMM_WORLD);
  exchange_seconds_ += now_s() - t0;
  sent_ += total(counts) * 4 * (size_ - 1) / size_;
}

void Comm::reduce_scatter_sum(const float* all, float* mine, const std::vector<int64_t>& counts) {
  if (size_ == 1) return void(std::copy(all, all + counts[0], mine));
  const std::vector<int> c = ints(counts);
  const double t0 = now_s();
  MPI_Reduce_scatter(all, mine, c.data(), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  exchange_seconds_ += now_s() - t0;
  sent_ += total(counts) * 4 * (size_ - 1) / size_;
}

void Comm::alltoall(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                    const std::vector<int64_t>& recv_counts) {
  if (size_ == 1) return void(std::copy(send, send + send_counts[0], recv));
  const std::vector<int> sc = ints(send_counts), rc = ints(recv_counts);
  const std::vector<int> sd = offsets(sc), rd = offsets(rc);
  const double t0 = now_s();
  MPI_Alltoallv(send, sc.data(), sd.data(), MPI_FLOAT, recv, rc.data(), rd.data(), MPI_FLOAT, MPI_COMM_WORLD);
  exchange_seconds_ += now_s() - t0;
  sent_ += (total(send_counts) - send_counts[rank_]) * 4;
}

void Comm::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (initialised_ && size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

#else

bool mpi_available() { return false; }
struct Comm::InFlight {};
Comm::Comm() {
  if (launched_by_mpirun())
    std::fprintf(stderr, "warning: started by mpirun, but this alexnet was built without MPI: every rank trains alone\n");
}
Comm::~Comm() = default;
void Comm::set_progress(CommProgress) {}
void Comm::allreduce_sum(double*, int64_t) {}
void Comm::start_allreduce_sum(float*, int64_t) {}
void Comm::wait_all() {}
std::vector<int64_t> Comm::allgather_count(int64_t mine) { return {mine}; }
void Comm::allgather(const float* mine, float* all, const std::vector<int64_t>& counts) {
  std::copy(mine, mine + counts[0], all);
}
void Comm::allgather_in_place(float*, const std::vector<int64_t>&) {}
void Comm::reduce_scatter_sum(const float* all, float* mine, const std::vector<int64_t>& counts) {
  std::copy(all, all + counts[0], mine);
}
void Comm::alltoall(const float* send, const std::vector<int64_t>& send_counts, float* recv,
                    const std::vector<int64_t>&) {
  std::copy(send, send + send_counts[0], recv);
}
void Comm::abort(int code) { std::exit(code); }

#endif

Comm& comm() {
  static Comm c;
  return c;
}

}  // namespace alexnet
