#pragma once

#include <vector>

#include "bench/load/run.h"

namespace cairn::bench {

// watch-latency: --watchers watch streams on one key while --clients
// putters put to it at --rate in all; each event's latency is from the start of its put to its
// arrival on a stream. The put's number travels in the value, so an event
// that arrives before its put's response is still matched. Counts events.
std::vector<Tally> RunWatchLatency(Run& run);

// lease-keepalive: every client grants a lease, then sends keep-alives on
// its own LeaseKeepAlive stream, one in flight; latency is each round trip.
std::vector<Tally> RunLeaseKeepAlive(Run& run);

}  // namespace cairn::bench
