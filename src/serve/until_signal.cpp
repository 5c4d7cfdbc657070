#include "serve/until_signal.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "util/error.hpp"

namespace alexnet {

namespace {
int stop_pipe = -1;
void on_stop_signal(int sig) {
  const unsigned char b = static_cast<unsigned char>(sig);
  if (write(stop_pipe, &b, 1) < 0) _exit(1);
}
}  // namespace

// The signal handler only writes to a pipe (all it may safely do, on whatever thread the
// signal lands); a thread reads it and stops the server. Byte 0 means the server ended.
void serve_until_signal(InferenceServer& server) {
  int fds[2];
  if (pipe(fds) != 0) fail("serve: cannot create a pipe");
  stop_pipe = fds[1];
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  std::thread waiter([&] {
    unsigned char sig = 0;
    while (read(fds[0], &sig, 1) < 0 && errno == EINTR) {
    }
    if (sig == 0) return;
    std::printf("signal %d: finishing the requests in flight\n", sig);
    std::fflush(stdout);
    server.stop();
  });
  server.run();
  const unsigned char ended = 0;
  if (write(fds[1], &ended, 1) < 0) std::perror("serve");
  waiter.join();
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  close(fds[0]);
  close(fds[1]);
}

}  // namespace alexnet
