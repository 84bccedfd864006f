#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace cairn::api {

// Runs the Maintenance calls that block (defragment, hashing, moving the
// leader, cutting a snapshot) each on a thread of its own, off gRPC's few
// callback threads. They are rare and bounded, so no pool. Stop() waits for
// those running and refuses new ones: the node calls it before tearing down
// what the jobs use.
class MaintenanceJobs {
 public:
  ~MaintenanceJobs() { Stop(); }

  // False (and `job` not run) once stopped.
  bool Run(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopped_) return false;
      ++running_;
    }
    std::thread([this, job = std::move(job)] {
      job();
      std::lock_guard<std::mutex> lock(mu_);
      --running_;
      cv_.notify_all();
    }).detach();
    return true;
  }

  void Stop() {
    std::unique_lock<std::mutex> lock(mu_);
    stopped_ = true;
    cv_.wait(lock, [&] { return running_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int running_ = 0;
  bool stopped_ = false;
};

}  // namespace cairn::api
