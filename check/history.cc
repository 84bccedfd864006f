#include "check/history.h"

#include <cstdio>

namespace cairn::check {

std::string_view KindName(OpKind kind) {
  switch (kind) {
    case OpKind::kGet:
      return "get";
    case OpKind::kPut:
      return "put";
    case OpKind::kDelete:
      return "delete";
    case OpKind::kCas:
      return "cas";
  }
  return "?";
}

std::string Quote(std::string_view bytes) {
  constexpr size_t kMaxShown = 40;
  std::string out = "\"";
  for (size_t i = 0; i < bytes.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    }
  }
  if (bytes.size() > kMaxShown) out += "...";
  out += '"';
  return out;
}

namespace {

std::string Output(const Operation& op) {
  if (!op.known) return " -> ?";
  switch (op.kind) {
    case OpKind::kGet:
      return op.found ? " -> " + Quote(op.output) : " -> not found";
    case OpKind::kCas:
      return op.cas_ok ? " -> ok" : " -> failed";
    case OpKind::kPut:
    case OpKind::kDelete:
      return "";
  }
  return "";
}

}  // namespace

std::string ToString(const Operation& op) {
  std::string s = "client " + std::to_string(op.client) + " " + std::string(KindName(op.kind)) +
                  "(" + Quote(op.key);
  if (op.kind == OpKind::kPut) s += ", " + Quote(op.value);
  if (op.kind == OpKind::kCas) s += ", " + Quote(op.expected) + " -> " + Quote(op.value);
  s += ")" + Output(op) + " [call " + std::to_string(op.call) + ", ret " +
       (op.known ? std::to_string(op.ret) : std::string("unknown")) + "]";
  return s;
}

}  // namespace cairn::check
