#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "consensus/raft/types.h"
#include "sim/command.h"

namespace cairn::sim {

// The simulated replicated state machine: a key-value map plus a running
// digest of every entry applied, so replicas can be compared cheaply.
class KvMachine {
 public:
  // Applies one committed entry; returns the command's result for normal
  // entries carrying a command.
  std::optional<CommandResult> Apply(const raft::Entry& entry);
  // A read served from local state (after a ReadIndex or under a lease).
  CommandResult Read(const std::string& key) const;

  std::string Serialize() const;
  bool Restore(const std::string& data);

  raft::Index applied() const { return applied_; }
  uint64_t digest() const { return digest_; }

 private:
  std::map<std::string, std::string> data_;
  raft::Index applied_ = 0;
  uint64_t digest_ = 0;
};

uint64_t HashBytes(const std::string& bytes, uint64_t seed = 0);
uint64_t MixHash(uint64_t a, uint64_t b);

}  // namespace cairn::sim
