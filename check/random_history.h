#pragma once

#include <cstdint>

#include "base/random.h"
#include "check/history.h"

namespace cairn::check {

struct RandomHistoryOptions {
  int ops = 1000;
  int clients = 5;
  int keys = 3;
  // Call-to-effect and effect-to-return delays are each uniform in
  // [0, max_latency]; a client thinks [0, max_think] between operations.
  // Coarse times make equal call and return instants common, on purpose.
  int64_t max_latency = 20;
  int64_t max_think = 5;
  double unknown_fraction = 0.02;
  // Operation mix; the rest are gets.
  double put_fraction = 0.3;
  double delete_fraction = 0.05;
  double cas_fraction = 0.15;
};

// A history of a simulated concurrent register store that is linearizable by
// construction: every op takes effect at a random instant within its interval
// (an unknown-outcome op: at a random later instant, or never) and its output
// comes from applying the ops in that order to a sequential map. Written
// values are unique ("v<n>"), so tests can forge impossible reads. Keys are
// "k<n>". Deterministic given `rng`'s seed.
History RandomLinearizableHistory(const RandomHistoryOptions& options, Random& rng);

}  // namespace cairn::check
