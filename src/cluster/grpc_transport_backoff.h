#pragma once

#include <chrono>
#include <cstdint>

#include "base/random.h"

namespace cairn::cluster {

struct BackoffOptions {
  std::chrono::milliseconds initial{100};
  // Capped so that a peer that comes back is reached again within about one
  // election timeout's worth of seconds, not minutes.
  std::chrono::milliseconds max{2000};
  double multiplier = 2.0;
  // Each delay is drawn from [d * (1 - jitter), d * (1 + jitter)], then capped:
  // nodes that lost a peer at the same moment do not retry in lockstep.
  double jitter = 0.2;
};

// Delays between reconnection attempts to one peer: exponential, capped,
// jittered. Not thread-safe; its owner locks.
class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed);

  // The delay before the next attempt; each call grows the following one.
  std::chrono::milliseconds Next();
  // After a connection proved healthy: the next delay is `initial` again.
  void Reset() { current_ = options_.initial; }

 private:
  BackoffOptions options_;
  SeededRandom random_;
  std::chrono::milliseconds current_;
};

}  // namespace cairn::cluster
