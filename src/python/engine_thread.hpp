// The one thread a model's engine runs on. oneDNN keeps a primitive's scratch memory in storage
// local to the thread that created the primitive (its "library" scratchpad mode), so a primitive
// made on one thread and run on another reads the wrong memory: the serving path has one
// inference thread for this reason, and a Python model gets one too. Calls from any Python
// thread are queued to it and wait, without the GIL, for their turn; the OpenMP team is this
// thread's, made once.
#pragma once
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

namespace alexnet::python {

class EngineThread {
 public:
  explicit EngineThread(int threads);  // compute threads of the OpenMP team (<= 0: OpenMP's default)
  ~EngineThread();
  EngineThread(const EngineThread&) = delete;
  EngineThread& operator=(const EngineThread&) = delete;

  // Runs `work` on the engine thread and returns when it has, rethrowing what it threw. Call it
  // without the GIL.
  void run(const std::function<void()>& work);
  int threads() const { return threads_; }

 private:
  struct Job {
    const std::function<void()>* work;
    std::exception_ptr error;
    bool done = false;
  };
  void loop();

  int threads_ = 0;
  std::mutex mu_;
  std::condition_variable wake_, finished_;
  std::deque<Job*> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace alexnet::python
