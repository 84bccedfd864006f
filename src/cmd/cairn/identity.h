#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace cairn::cmd {

// Who this member is, fixed when its data directory is first used: from
// --initial-cluster for a new cluster, from a running member for one that
// joins (MemberAdd chose the id). A restart reads it back, so it no longer
// depends on flags that describe the cluster as it was at the start.
struct Identity {
  uint64_t member_id = 0;
  uint64_t cluster_id = 0;
};

// <data-dir>/member: one line, "member <hex id> cluster <hex id>".
std::string IdentityPath(const std::string& data_dir);
// nullopt when the file does not exist; kDataLoss when it is malformed.
Result<std::optional<Identity>> LoadIdentity(const std::string& data_dir);
// Written to a temporary file, synced, renamed into place, directory synced.
Status SaveIdentity(const std::string& data_dir, const Identity& identity);

}  // namespace cairn::cmd
