#include "cmd/cairnctl/interrupt.h"

#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace cairn::ctl {

namespace {

std::mutex mu;
std::function<void()> handler;
std::atomic<bool> interrupted{false};
sigset_t handled;

void WaitForSignals() {
  while (true) {
    int signal = 0;
    if (sigwait(&handled, &signal) != 0) continue;
    interrupted = true;
    std::function<void()> h;
    {
      std::lock_guard lock(mu);
      h = handler;
    }
    if (h)
      h();
    else
      std::_Exit(130);
  }
}

}  // namespace

void InstallInterrupts() {
  sigemptyset(&handled);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &handled, nullptr);
  std::thread(WaitForSignals).detach();
}

void OnInterrupt(std::function<void()> h) {
  std::lock_guard lock(mu);
  handler = std::move(h);
}

bool Interrupted() {
  return interrupted;
}

}  // namespace cairn::ctl
