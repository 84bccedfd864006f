#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cairn {

// A few threads that run queued tasks in order of arrival. For work that
// must not run on the thread that hands it over (a replica's consensus loop
// must not serve reads from the store). The queue is unbounded: callers
// bound what they hand over.
class WorkerPool {
 public:
  explicit WorkerPool(int threads);
  ~WorkerPool();  // Stop()

  // Queues `task`; after Stop, runs it on the caller's thread instead.
  void Run(std::function<void()> task);
  // Runs what is queued, then joins the threads. Idempotent.
  void Stop();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace cairn
