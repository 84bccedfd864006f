#include "sim/command.h"

#include "base/coding.h"

namespace cairn::sim {

std::string EncodeCommand(const Command& cmd) {
  std::string out;
  out.push_back(static_cast<char>(cmd.kind));
  PutVarint64(&out, cmd.request_id);
  PutLengthPrefixed(&out, cmd.key);
  PutLengthPrefixed(&out, cmd.value);
  PutLengthPrefixed(&out, cmd.expected);
  return out;
}

std::optional<Command> DecodeCommand(const std::string& data) {
  if (data.empty()) return std::nullopt;
  Command cmd;
  const auto kind = static_cast<uint8_t>(data[0]);
  if (kind > static_cast<uint8_t>(check::OpKind::kCas)) return std::nullopt;
  cmd.kind = static_cast<check::OpKind>(kind);
  Slice in(data.data() + 1, data.size() - 1);
  Slice key, value, expected;
  if (!GetVarint64(&in, &cmd.request_id) || !GetLengthPrefixed(&in, &key) ||
      !GetLengthPrefixed(&in, &value) || !GetLengthPrefixed(&in, &expected) || !in.empty()) {
    return std::nullopt;
  }
  cmd.key = key.ToString();
  cmd.value = value.ToString();
  cmd.expected = expected.ToString();
  return cmd;
}

}  // namespace cairn::sim
