#include "cmd/cairnctl/requests.h"

#include <cerrno>
#include <cstdlib>

#include "client/kv.h"

namespace cairn::ctl {

namespace {

Status Invalid(const std::string& message) {
  return Status(Code::kInvalidArgument, message);
}

// The range end for a key with --prefix, --from-key or an explicit end.
Result<std::string> RangeEnd(const std::string& key, const std::string& range_end, bool prefix,
                             bool from_key) {
  if (prefix && from_key)
    return Invalid("`--prefix` and `--from-key` cannot be set at the same time");
  if ((prefix || from_key) && !range_end.empty())
    return Invalid(
        "too many arguments, only accept one argument when `--prefix` or `--from-key` is set");
  if (prefix) return client::PrefixEnd(key);
  if (from_key) return std::string(1, '\0');
  return range_end;
}

}  // namespace

Result<etcdserverpb::RangeRequest> BuildRange(const GetOptions& o) {
  if (o.key.empty() && !o.from_key && !o.prefix) return Invalid("get command needs a key");
  Result<std::string> end = RangeEnd(o.key, o.range_end, o.prefix, o.from_key);
  if (!end.ok()) return end.status();
  etcdserverpb::RangeRequest r;
  // etcdctl's `get --from-key ""` and `get --prefix ""` mean every key.
  r.set_key(o.key.empty() ? std::string(1, '\0') : o.key);
  r.set_range_end(*end);
  if (o.limit < 0) return Invalid("--limit must not be negative");
  r.set_limit(o.limit);
  if (o.revision < 0) return Invalid("--rev must not be negative");
  r.set_revision(o.revision);
  r.set_keys_only(o.keys_only);
  r.set_count_only(o.count_only);
  if (o.consistency == "s")
    r.set_serializable(true);
  else if (o.consistency != "l")
    return Invalid("unknown consistency flag \"" + o.consistency + "\"");
  return r;
}

Result<etcdserverpb::PutRequest> BuildPut(const PutOptions& o) {
  // An empty key goes to the server, which answers with etcd's own error.
  if (o.ignore_value && !o.value.empty()) return Invalid("value is provided with --ignore-value");
  etcdserverpb::PutRequest r;
  r.set_key(o.key);
  r.set_value(o.value);
  r.set_lease(o.lease);
  r.set_prev_kv(o.prev_kv);
  r.set_ignore_value(o.ignore_value);
  r.set_ignore_lease(o.ignore_lease);
  return r;
}

Result<etcdserverpb::DeleteRangeRequest> BuildDelete(const DeleteOptions& o) {
  if (o.key.empty() && !o.from_key && !o.prefix) return Invalid("del command needs a key");
  Result<std::string> end = RangeEnd(o.key, o.range_end, o.prefix, o.from_key);
  if (!end.ok()) return end.status();
  etcdserverpb::DeleteRangeRequest r;
  r.set_key(o.key.empty() ? std::string(1, '\0') : o.key);
  r.set_range_end(*end);
  r.set_prev_kv(o.prev_kv);
  return r;
}

Result<uint64_t> ParseHexId(const std::string& text) {
  if (text.empty() || text.size() > 16) return Invalid("bad id \"" + text + "\": want hexadecimal");
  uint64_t id = 0;
  for (char c : text) {
    int digit;
    if (c >= '0' && c <= '9')
      digit = c - '0';
    else if (c >= 'a' && c <= 'f')
      digit = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      digit = c - 'A' + 10;
    else
      return Invalid("bad id \"" + text + "\": want hexadecimal");
    id = id * 16 + static_cast<uint64_t>(digit);
  }
  return id;
}

Result<int64_t> ParseDurationMillis(const std::string& text) {
  const char* begin = text.c_str();
  char* end = nullptr;
  errno = 0;
  double amount = std::strtod(begin, &end);
  if (end == begin || errno != 0 || amount < 0) return Invalid("bad duration \"" + text + "\"");
  std::string unit(end);
  double millis;
  if (unit.empty() || unit == "s")
    millis = amount * 1000;
  else if (unit == "ms")
    millis = amount;
  else if (unit == "m")
    millis = amount * 60'000;
  else if (unit == "h")
    millis = amount * 3'600'000;
  else
    return Invalid("bad duration \"" + text + "\": unit must be ms, s, m or h");
  return static_cast<int64_t>(millis);
}

}  // namespace cairn::ctl
