#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace cairn::client {

// "http://a:2379,b:2379" -> {"a:2379", "b:2379"}: gRPC targets without the
// URL scheme etcd's flags carry. Empty items are skipped; an empty result or
// an https URL (no TLS yet) is an error.
Result<std::vector<std::string>> ParseEndpoints(std::string_view list);

// One endpoint written as a gRPC target ("http://h:p" -> "h:p").
std::string EndpointTarget(std::string_view url);

// Whether a failed call may be retried on the next endpoint. A transport
// failure (the server never answered) or a member without a leader is safe
// to retry for anything; other UNAVAILABLE answers ("request timed out",
// "leader changed") may come after a write was applied, so only
// idempotent calls retry on them.
bool ShouldTryNextEndpoint(const Status& status, bool idempotent);

// The order in which a call tries the endpoints: the one that answered last
// first, then the others in their given order.
std::vector<size_t> EndpointOrder(size_t count, size_t preferred);

}  // namespace cairn::client
