#include "kv/mvcc_key.h"

#include "base/coding.h"

namespace cairn::kv {
namespace {

constexpr char kEscape = '\x00';
constexpr char kEscapedZero = '\xff';
constexpr char kTerminator = '\x01';

void PutBigEndian64(std::string* out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out->push_back(static_cast<char>(v >> shift));
}

uint64_t GetBigEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

void AppendEscaped(std::string* out, Slice user_key, char tag = kDataTag) {
  out->push_back(tag);
  for (char c : user_key.view()) {
    out->push_back(c);
    if (c == kEscape) out->push_back(kEscapedZero);
  }
  out->push_back(kEscape);
  out->push_back(kTerminator);
}

Status Malformed(const char* what) {
  return Status(Code::kDataLoss, std::string("malformed mvcc key: ") + what);
}

// ~revision, so that bytewise order puts newer revisions first.
uint64_t Invert(int64_t revision) {
  return ~static_cast<uint64_t>(revision);
}

}  // namespace

std::string DataKeyPrefix(Slice user_key) {
  std::string out;
  out.reserve(user_key.size() + 3);
  AppendEscaped(&out, user_key);
  return out;
}

void AppendDataKey(std::string* out, Slice user_key, int64_t revision) {
  AppendEscaped(out, user_key);
  PutBigEndian64(out, Invert(revision));
}

std::string DataKey(Slice user_key, int64_t revision) {
  std::string out;
  out.reserve(user_key.size() + 3 + kRevisionBytes);
  AppendDataKey(&out, user_key, revision);
  return out;
}

std::string DataKeyPrefixEnd(Slice user_key) {
  std::string out = DataKeyPrefix(user_key);
  // ... 0x00 0x02 sorts after ... 0x00 0x01 <any revision>, and before the
  // prefix of any longer key (whose next escaped byte is 0x00 0xFF or >= 1).
  out.back() = static_cast<char>(kTerminator + 1);
  return out;
}

std::string DataSpaceBegin() {
  return std::string(1, kDataTag);
}
std::string DataSpaceEnd() {
  return std::string(1, kDataTag + 1);
}

Status DecodeDataKey(Slice encoded, std::string* user_key, int64_t* revision) {
  if (encoded.size() < kMinDataKeyBytes) return Malformed("too short");
  if (encoded[0] != kDataTag) return Malformed("not a data key");
  const size_t body_end = encoded.size() - kRevisionBytes;
  user_key->clear();
  size_t i = 1;
  for (;;) {
    if (i >= body_end) return Malformed("unterminated user key");
    const char c = encoded[i];
    if (c != kEscape) {
      user_key->push_back(c);
      ++i;
      continue;
    }
    if (i + 1 >= body_end) return Malformed("truncated escape");
    const char next = encoded[i + 1];
    if (next == kEscapedZero) {
      user_key->push_back(kEscape);
      i += 2;
      continue;
    }
    if (next != kTerminator) return Malformed("bad escape");
    if (i + 2 != body_end) return Malformed("bytes after terminator");
    break;
  }
  const uint64_t inverted = GetBigEndian64(encoded.data() + body_end);
  const uint64_t rev = ~inverted;
  if (rev == 0 || rev > static_cast<uint64_t>(kMaxRevision)) return Malformed("bad revision");
  *revision = static_cast<int64_t>(rev);
  return Status::Ok();
}

Result<DataKeyParts> DecodeDataKey(Slice encoded) {
  DataKeyParts parts;
  if (Status s = DecodeDataKey(encoded, &parts.user_key, &parts.revision); !s.ok()) return s;
  return parts;
}

Result<int64_t> DataKeyRevision(Slice encoded) {
  if (encoded.size() < kMinDataKeyBytes || encoded[0] != kDataTag)
    return Malformed("not a data key");
  const uint64_t rev = ~GetBigEndian64(encoded.data() + encoded.size() - kRevisionBytes);
  if (rev == 0 || rev > static_cast<uint64_t>(kMaxRevision)) return Malformed("bad revision");
  return static_cast<int64_t>(rev);
}

std::string ChangeKey(int64_t revision, uint32_t sub) {
  std::string out(1, kChangeTag);
  PutBigEndian64(&out, static_cast<uint64_t>(revision));
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>(sub >> shift));
  return out;
}

Result<ChangeKeyParts> DecodeChangeKey(Slice encoded) {
  if (encoded.size() != 1 + 8 + 4) return Malformed("change key length");
  if (encoded[0] != kChangeTag) return Malformed("not a change key");
  const uint64_t rev = GetBigEndian64(encoded.data() + 1);
  if (rev == 0 || rev > static_cast<uint64_t>(kMaxRevision)) return Malformed("bad revision");
  ChangeKeyParts parts;
  parts.revision = static_cast<int64_t>(rev);
  for (size_t i = 9; i < 13; ++i)
    parts.sub = (parts.sub << 8) | encoded.byte(i);
  return parts;
}

std::string ChangeSpaceBegin() {
  return std::string(1, kChangeTag);
}
std::string ChangeSpaceEnd() {
  return std::string(1, kChangeTag + 1);
}

std::string LatestKey(Slice user_key) {
  std::string out;
  out.reserve(user_key.size() + 3);
  AppendEscaped(&out, user_key, kLatestTag);
  return out;
}

std::string LatestValue(int64_t revision) {
  std::string out;
  PutFixed64(&out, static_cast<uint64_t>(revision));
  return out;
}

Result<int64_t> DecodeLatestValue(Slice value) {
  if (value.size() != 8) return Malformed("latest record length");
  const uint64_t rev = DecodeFixed64(value.data());
  if (rev == 0 || rev > static_cast<uint64_t>(kMaxRevision)) return Malformed("bad revision");
  return static_cast<int64_t>(rev);
}

std::string LatestSpaceBegin() {
  return std::string(1, kLatestTag);
}
std::string LatestSpaceEnd() {
  return std::string(1, kLatestTag + 1);
}

std::string LeaseKey(int64_t id) {
  std::string out(1, kLeaseTag);
  PutBigEndian64(&out, static_cast<uint64_t>(id));
  return out;
}

Result<int64_t> DecodeLeaseKey(Slice encoded) {
  if (encoded.size() != 9 || encoded.data()[0] != kLeaseTag) return Malformed("lease key");
  return static_cast<int64_t>(GetBigEndian64(encoded.data() + 1));
}

std::string LeaseSpaceBegin() {
  return std::string(1, kLeaseTag);
}
std::string LeaseSpaceEnd() {
  return std::string(1, kLeaseTag + 1);
}

std::string LeaseAttachPrefix(int64_t id) {
  std::string out(1, kLeaseKeyTag);
  PutBigEndian64(&out, static_cast<uint64_t>(id));
  return out;
}

std::string LeaseAttachKey(int64_t id, Slice user_key) {
  std::string out = LeaseAttachPrefix(id);
  out.append(user_key.data(), user_key.size());
  return out;
}

std::string LeaseAttachPrefixEnd(int64_t id) {
  // The next id's prefix; the last id's records end where the tag does.
  if (static_cast<uint64_t>(id) == UINT64_MAX) return std::string(1, kLeaseKeyTag + 1);
  return LeaseAttachPrefix(static_cast<int64_t>(static_cast<uint64_t>(id) + 1));
}

std::string MetaCurrentRevisionKey() {
  return std::string(1, kMetaTag) + "current_revision";
}
std::string MetaCompactedRevisionKey() {
  return std::string(1, kMetaTag) + "compacted_revision";
}

}  // namespace cairn::kv
