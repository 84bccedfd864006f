#include "check/history_json.h"

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace cairn::check {
namespace {

using nlohmann::json;

Status Bad(const std::string& what) {
  return Status(Code::kInvalidArgument, what);
}

// The field `name` of `obj`, or null when it is missing (both mean: keep
// the default).
const json& Field(const json& obj, const char* name) {
  static const json kNull;
  auto it = obj.find(name);
  return it == obj.end() ? kNull : *it;
}

Status ReadString(const json& obj, const char* name, std::string* out) {
  const json& v = Field(obj, name);
  if (v.is_null()) return Status::Ok();
  if (!v.is_string()) return Bad(std::string("\"") + name + "\" must be a string");
  *out = v.get<std::string>();
  return Status::Ok();
}

Status ReadBool(const json& obj, const char* name, bool* out) {
  const json& v = Field(obj, name);
  if (v.is_null()) return Status::Ok();
  if (!v.is_boolean()) return Bad(std::string("\"") + name + "\" must be true or false");
  *out = v.get<bool>();
  return Status::Ok();
}

// An integer within [lo, hi]; 1.0 and "1" are refused, not rounded or
// converted, since either would hide a recorder's bug.
Status ReadInt(const json& obj, const char* name, int64_t lo, int64_t hi, int64_t* out) {
  const json& v = Field(obj, name);
  if (v.is_null()) return Status::Ok();
  const std::string range = "\"" + std::string(name) + "\" must be an integer in [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "]";
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(hi)) return Bad(range);
    *out = static_cast<int64_t>(u);
    return Status::Ok();
  }
  if (!v.is_number_integer()) return Bad(range);
  const int64_t i = v.get<int64_t>();
  if (i < lo || i > hi) return Bad(range);
  *out = i;
  return Status::Ok();
}

Status ReadKind(const json& obj, OpKind* out) {
  const json& v = Field(obj, "kind");
  if (v.is_null()) return Status::Ok();
  const std::string expected = "\"kind\" must be one of \"get\", \"put\", \"delete\", \"cas\"";
  if (!v.is_string()) return Bad(expected);
  const std::string s = v.get<std::string>();
  for (OpKind k : {OpKind::kGet, OpKind::kPut, OpKind::kDelete, OpKind::kCas}) {
    if (s == KindName(k)) {
      *out = k;
      return Status::Ok();
    }
  }
  return Bad(expected + ", got " + Quote(s));
}

}  // namespace

Result<Operation> ParseOperationJson(std::string_view line) {
  json obj;
  try {
    obj = json::parse(line);
  } catch (const json::parse_error& e) {
    // nlohmann says "[json.exception.parse_error.101] parse error at line 1,
    // column 5: ..."; its line is always 1 here, so keep the column and why.
    const std::string what = e.what();
    const size_t column = what.find("column ");
    return Bad("not JSON: " + (column == std::string::npos ? what : what.substr(column)));
  }
  if (!obj.is_object()) return Bad("expected a JSON object, one operation per line");
  Operation op;
  int64_t client = op.client;
  Status s = ReadInt(obj, "client", std::numeric_limits<int>::min(),
                     std::numeric_limits<int>::max(), &client);
  op.client = static_cast<int>(client);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  if (s.ok()) s = ReadKind(obj, &op.kind);
  if (s.ok()) s = ReadString(obj, "key", &op.key);
  if (s.ok()) s = ReadString(obj, "value", &op.value);
  if (s.ok()) s = ReadString(obj, "expected", &op.expected);
  if (s.ok()) s = ReadInt(obj, "call", kMin, kMax, &op.call);
  if (s.ok()) s = ReadInt(obj, "ret", kMin, kMax, &op.ret);
  if (s.ok()) s = ReadBool(obj, "known", &op.known);
  if (s.ok()) s = ReadBool(obj, "found", &op.found);
  if (s.ok()) s = ReadString(obj, "output", &op.output);
  if (s.ok()) s = ReadBool(obj, "cas_ok", &op.cas_ok);
  if (!s.ok()) return s;
  // The checker would only call this history undecidable; say what is wrong.
  if (op.known && op.ret < op.call) {
    return Bad("\"ret\" (" + std::to_string(op.ret) + ") is before \"call\" (" +
               std::to_string(op.call) + ") of an operation with a known outcome");
  }
  return op;
}

Result<History> ReadHistoryJsonLines(std::istream& in) {
  History history;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Result<Operation> op = ParseOperationJson(line);
    if (!op.ok()) return Bad("line " + std::to_string(number) + ": " + op.status().message());
    history.push_back(std::move(*op));
  }
  if (in.bad()) return Status(Code::kInternal, "read error");
  return history;
}

}  // namespace cairn::check
