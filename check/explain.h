#pragma once

#include <string>
#include <vector>

#include "check/history.h"
#include "check/key_history.h"
#include "check/search.h"

namespace cairn::check {

// Describes why a key's history is not linearizable, from the longest prefix
// the search could linearize: the prefix (its tail), the state it leaves, and
// the operations one of which had to come next, each with why it cannot.
std::string ExplainViolation(const KeyHistory& h, const History& history,
                             const std::vector<OpRef>& longest_prefix);

}  // namespace cairn::check
