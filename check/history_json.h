#pragma once

#include <istream>
#include <string_view>

#include "base/status.h"
#include "check/history.h"

namespace cairn::check {

// Client histories as JSON lines, one Operation per line, as the chaos
// harness (tests/chaos) records them and cairn-check-history reads them:
//
//   {"client": 1, "kind": "put", "key": "k", "value": "v", "call": 10, "ret": 20}
//   {"client": 2, "kind": "get", "key": "k", "call": 15, "ret": 25, "found": true, "output": "v"}
//   {"client": 3, "kind": "cas", "key": "k", "expected": "v", "value": "w", "call": 30,
//    "known": false}
//
// Fields are Operation's: client (int), kind ("get", "put", "delete" or
// "cas"), key, value, expected, output (strings), call, ret (integers, any
// monotonic unit), known, found, cas_ok (booleans). A missing field or a
// null takes Operation's default; other fields are ignored, so that a
// recorder may keep its own notes in the same line. A known operation must
// not return before its call.

// One line. kInvalidArgument names the field that is wrong.
Result<Operation> ParseOperationJson(std::string_view line);

// Every line of `in`; blank lines are skipped. kInvalidArgument names the
// (1-based) line number of the first bad line.
Result<History> ReadHistoryJsonLines(std::istream& in);

}  // namespace cairn::check
