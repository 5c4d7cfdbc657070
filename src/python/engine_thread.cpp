#include "python/engine_thread.hpp"

#include <memory>

#include "tensor/engine.hpp"

namespace alexnet::python {

EngineThread::EngineThread(int threads) {
  auto team = std::make_shared<std::promise<int>>();  // the size OpenMP gives this thread's team
  std::future<int> size = team->get_future();
  thread_ = std::thread([this, threads, team] {
    set_threads(threads);
    team->set_value(num_threads());
    loop();
  });
  threads_ = size.get();
}

EngineThread::~EngineThread() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void EngineThread::run(const std::function<void()>& work) {
  Job job{&work, nullptr};
  std::unique_lock lock(mu_);
  jobs_.push_back(&job);
  wake_.notify_one();
  finished_.wait(lock, [&] { return job.done; });
  if (job.error) std::rethrow_exception(job.error);
}

void EngineThread::loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (jobs_.empty()) return;  // stopping, nothing left
    Job* job = jobs_.front();
    jobs_.pop_front();
    lock.unlock();
    try {
      (*job->work)();
    } catch (...) {
      job->error = std::current_exception();
    }
    lock.lock();
    job->done = true;
    finished_.notify_all();
  }
}

}  // namespace alexnet::python
