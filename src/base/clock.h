#pragma once

#include <cstdint>

namespace cairn {

// Time as seen by one node. Passed in, never read from a global, so that the
// simulator can skew, pause and step it.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time in nanoseconds since an arbitrary origin.
  virtual int64_t NowNanos() const = 0;
};

// The real monotonic clock (CLOCK_MONOTONIC).
class SystemClock final : public Clock {
 public:
  int64_t NowNanos() const override;
};

}  // namespace cairn
