#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace cairn::cluster {

// Logs requests slower than a threshold with what they waited on (etcd's
// "apply request took too long", --experimental-warning-apply-duration),
// at most one line a second: an overloaded member must not also flood its
// log. The lines it held back are counted in the next one.
class SlowRequests {
 public:
  using Clock = std::chrono::steady_clock;
  // `log` writes one line (CAIRN_LOG in the replica; captured in tests).
  SlowRequests(std::chrono::milliseconds threshold, std::function<void(const std::string&)> log)
      : threshold_(threshold), log_(std::move(log)) {}

  bool IsSlow(Clock::duration took) const { return took >= threshold_; }
  // `what` says what the request was and where its time went.
  void Report(const std::string& what, Clock::time_point now = Clock::now());

 private:
  const std::chrono::milliseconds threshold_;
  const std::function<void(const std::string&)> log_;
  std::mutex mu_;
  Clock::time_point last_logged_{};
  uint64_t held_back_ = 0;
};

// "1.23 s", "140 ms".
std::string Millis(SlowRequests::Clock::duration d);

}  // namespace cairn::cluster
