#include "cluster/grpc_transport_backoff.h"

#include <algorithm>

namespace cairn::cluster {

Backoff::Backoff(const BackoffOptions& options, uint64_t seed)
    : options_(options), random_(seed), current_(options.initial) {}

std::chrono::milliseconds Backoff::Next() {
  const double base = static_cast<double>(current_.count());
  const double unit = static_cast<double>(random_.Next() >> 11) * 0x1.0p-53;  // [0, 1)
  const double factor = 1.0 - options_.jitter + 2.0 * options_.jitter * unit;
  auto delay = std::chrono::milliseconds(static_cast<int64_t>(base * factor));
  delay = std::clamp(delay, std::chrono::milliseconds(1), options_.max);
  const double grown = base * options_.multiplier;
  current_ = grown >= static_cast<double>(options_.max.count())
                 ? options_.max
                 : std::chrono::milliseconds(static_cast<int64_t>(grown));
  return delay;
}

}  // namespace cairn::cluster
