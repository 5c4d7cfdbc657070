#include "parallel/comm.hpp"

#include <chrono>
#include <cstdlib>
#include <cstdio>

#ifdef ALEXNET_WITH_MPI
#include <mpi.h>
#endif

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

#ifdef ALEXNET_WITH_MPI

bool mpi_available() { return true; }

Comm::Comm() {
  if (!launched_by_mpirun()) return;
  int provided = 0;
  MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
  initialised_ = true;
  // A rank that dies or errs must end the job, not leave the others waiting.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_ARE_FATAL);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
}

Comm::~Comm() {
  if (initialised_) MPI_Finalize();
}

void Comm::allreduce_sum(double* data, int64_t n) {
  if (size_ == 1) return;
  MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void Comm::start_allreduce_sum(float* data, int64_t n) {
  if (size_ == 1) return;
  auto* req = new MPI_Request;
  MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(n), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD, req);
  requests_.push_back(req);
  bytes_ += n * 4;
  // Open MPI advances non-blocking collectives only inside MPI calls: poke the ones in flight,
  // so that they move while the next layers' backward runs.
  for (void* r : requests_) {
    int done = 0;
    MPI_Test(static_cast<MPI_Request*>(r), &done, MPI_STATUS_IGNORE);
  }
}

void Comm::wait_all() {
  if (requests_.empty()) return;
  const double t0 = now_s();
  for (void* r : requests_) {
    MPI_Wait(static_cast<MPI_Request*>(r), MPI_STATUS_IGNORE);
    delete static_cast<MPI_Request*>(r);
  }
  requests_.clear();
  seconds_ += now_s() - t0;
}

void Comm::abort(int code) {
  std::fflush(stdout);
  std::fflush(stderr);
  if (initialised_ && size_ > 1) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

#else

bool mpi_available() { return false; }
Comm::Comm() {
  if (launched_by_mpirun())
    std::fprintf(stderr, "warning: started by mpirun, but this alexnet was built without MPI: every rank trains alone\n");
}
Comm::~Comm() = default;
void Comm::allreduce_sum(double*, int64_t) {}
void Comm::start_allreduce_sum(float*, int64_t) {}
void Comm::wait_all() {}
void Comm::abort(int code) { std::exit(code); }

#endif

Comm& comm() {
  static Comm c;
  return c;
}

}  // namespace alexnet
