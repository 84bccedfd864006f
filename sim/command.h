#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "check/history.h"

namespace cairn::sim {

// A client command as it travels through the log.
struct Command {
  check::OpKind kind = check::OpKind::kGet;
  std::string key;
  std::string value;
  std::string expected;
  uint64_t request_id = 0;  // unique per simulated run; matches replies
};

// What applying a command produced.
struct CommandResult {
  bool found = false;
  std::string output;
  bool cas_ok = false;
};

std::string EncodeCommand(const Command& cmd);
std::optional<Command> DecodeCommand(const std::string& data);

}  // namespace cairn::sim
