#pragma once

#include <nlohmann/json.hpp>

#include "client/diagnosis.h"

namespace cairn::client {

// A finding as `cairnctl doctor -w json` and /api/v1/cluster write it.
inline nlohmann::json FindingJson(const Finding& f) {
  return {{"severity", f.severity == Severity::kCritical ? "critical" : "warning"},
          {"member", f.member},
          {"what", f.what},
          {"cause", f.cause},
          {"remedy", f.remedy}};
}

}  // namespace cairn::client
