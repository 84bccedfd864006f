#include "kv/mvcc_value.h"

#include "base/coding.h"
#include "kv/mvcc_key.h"

namespace cairn::kv {
namespace {

Status Malformed(const char* what) {
  return Status(Code::kDataLoss, std::string("malformed mvcc value: ") + what);
}

}  // namespace

void EncodeVersion(std::string* out, int64_t create_revision, int64_t version, int64_t lease,
                   Slice value) {
  out->clear();
  out->push_back('\0');
  PutVarint64(out, static_cast<uint64_t>(create_revision));
  PutVarint64(out, static_cast<uint64_t>(version));
  PutVarint64(out, static_cast<uint64_t>(lease));
  out->append(value.data(), value.size());
}

void EncodeTombstone(std::string* out) {
  out->assign(1, static_cast<char>(kTombstoneFlag));
}

Status DecodeVersion(Slice encoded, bool* tombstone, VersionRecord* record) {
  if (encoded.empty()) return Malformed("empty");
  const uint8_t flags = encoded.byte(0);
  if ((flags & ~kTombstoneFlag) != 0) return Malformed("unknown flags");
  encoded.remove_prefix(1);
  if (flags & kTombstoneFlag) {
    if (!encoded.empty()) return Malformed("tombstone with a body");
    *tombstone = true;
    return Status::Ok();
  }
  uint64_t create = 0, version = 0, lease = 0;
  if (!GetVarint64(&encoded, &create) || !GetVarint64(&encoded, &version) ||
      !GetVarint64(&encoded, &lease)) {
    return Malformed("truncated");
  }
  if (create == 0 || create > static_cast<uint64_t>(kMaxRevision)) {
    return Malformed("bad create revision");
  }
  if (version == 0 || version > static_cast<uint64_t>(kMaxRevision)) {
    return Malformed("bad version");
  }
  *tombstone = false;
  record->create_revision = static_cast<int64_t>(create);
  record->version = static_cast<int64_t>(version);
  record->lease = static_cast<int64_t>(lease);
  record->value = encoded;
  return Status::Ok();
}

void EncodeChange(std::string* out, ChangeType type, Slice user_key) {
  out->clear();
  out->push_back(static_cast<char>(type));
  out->append(user_key.data(), user_key.size());
}

Status DecodeChange(Slice encoded, ChangeType* type, Slice* user_key) {
  if (encoded.size() < 2) return Malformed("change record too short");
  const uint8_t t = encoded.byte(0);
  if (t > static_cast<uint8_t>(ChangeType::kDelete)) return Malformed("unknown change type");
  *type = static_cast<ChangeType>(t);
  encoded.remove_prefix(1);
  *user_key = encoded;
  return Status::Ok();
}

}  // namespace cairn::kv
