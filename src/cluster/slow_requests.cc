#include "cluster/slow_requests.h"

#include <cstdio>

namespace cairn::cluster {

void SlowRequests::Report(const std::string& what, Clock::time_point now) {
  uint64_t held_back = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (last_logged_ != Clock::time_point{} && now - last_logged_ < std::chrono::seconds(1)) {
      ++held_back_;
      return;
    }
    last_logged_ = now;
    held_back = held_back_;
    held_back_ = 0;
  }
  std::string line = what + " (over " + std::to_string(threshold_.count()) + " ms)";
  if (held_back > 0) {
    line += "; " + std::to_string(held_back) + " more slow request(s) since the last such line";
  }
  log_(line);
}

std::string Millis(SlowRequests::Clock::duration d) {
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  char buf[32];
  if (ms >= 1000) {
    std::snprintf(buf, sizeof buf, "%.2f s", ms / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f ms", ms);
  }
  return buf;
}

}  // namespace cairn::cluster
