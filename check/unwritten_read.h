#pragma once

#include <string>

#include "check/history.h"
#include "check/key_history.h"

namespace cairn::check {

// Finds a known-outcome get that read, or a cas that succeeded on, a value no
// operation on the key ever wrote: a violation whatever the timing. Checked
// before searching because it is the commonest corruption, is cheap to spot,
// and would otherwise cost an exhaustive search to conclude. Returns the
// explanation, or "" if there is no such operation.
std::string FindUnwrittenRead(const KeyHistory& h, const History& history);

}  // namespace cairn::check
