#pragma once

#include <memory>
#include <vector>

#include "bench/load/run.h"

namespace cairn::bench {

// Runs a unary workload (put, range, txn-put, txn-mixed): --clients
// closed-loop clients, each with one request in flight on gRPC's callback
// API, until the run's budget or time is spent. Returns every client's tally.
std::vector<Tally> RunUnaryWorkload(Run& run);

}  // namespace cairn::bench
