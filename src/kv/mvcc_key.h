#pragma once

#include <cstdint>
#include <string>

#include "base/slice.h"
#include "base/status.h"

// How the MVCC store lays its records out in RocksDB (the full description
// is in docs/ARCHITECTURE.md, "MVCC key encoding"). The first byte of every
// key says what it is:
//
//   'k' escaped(user key) 0x00 0x01 BE64(~revision)   one version of a key
//   'c' BE64(revision) BE32(sub)                       one change, in order
//   'l' escaped(user key) 0x00 0x01 -> fixed64 rev     newest version, if live
//   'm' name                                           store metadata
//   'e' BE64(lease id)            -> varint granted TTL  one lease
//   'a' BE64(lease id) user key   -> (empty)             a key attached to it
//
// The user key is escaped (0x00 becomes 0x00 0xFF) and terminated with
// 0x00 0x01, which keeps RocksDB's bytewise order equal to user-key order
// and makes no key's encoding a prefix of another's. The inverted revision
// sorts a key's newest version first, so one Seek to
// DataKey(key, R) lands on the newest version at or below R. The 'l'
// records index the live keys' newest versions, so reads at the current
// revision of one key are two Gets rather than an iterator.
//
// The decoders are strict: anything but an exact, canonical encoding is
// an error, never a crash, whatever the bytes.
namespace cairn::kv {

inline constexpr char kDataTag = 'k';
inline constexpr char kChangeTag = 'c';
inline constexpr char kLatestTag = 'l';
inline constexpr char kMetaTag = 'm';
inline constexpr char kLeaseTag = 'e';
inline constexpr char kLeaseKeyTag = 'a';

// Revisions are int64 on the wire (etcd's type); stored ones are positive.
inline constexpr int64_t kMaxRevision = INT64_MAX;

// 'k' escaped(user_key) 0x00 0x01: every version of user_key starts so.
std::string DataKeyPrefix(Slice user_key);
void AppendDataKey(std::string* out, Slice user_key, int64_t revision);
std::string DataKey(Slice user_key, int64_t revision);
// Exclusive upper bound of every version of user_key (and below every
// version of any greater key).
std::string DataKeyPrefixEnd(Slice user_key);
// Bounds of the whole data keyspace.
std::string DataSpaceBegin();
std::string DataSpaceEnd();

// The 8 revision bytes of a data key, and the prefix before them.
inline constexpr size_t kRevisionBytes = 8;
// Smallest possible data key: tag, terminator, revision.
inline constexpr size_t kMinDataKeyBytes = 1 + 2 + kRevisionBytes;

struct DataKeyParts {
  std::string user_key;
  int64_t revision = 0;
};
// Decodes a data key into *user_key (reusing its capacity) and *revision.
Status DecodeDataKey(Slice encoded, std::string* user_key, int64_t* revision);
Result<DataKeyParts> DecodeDataKey(Slice encoded);
// Only the revision; checks the tag and length, not the user key's escaping.
Result<int64_t> DataKeyRevision(Slice encoded);

std::string ChangeKey(int64_t revision, uint32_t sub);
struct ChangeKeyParts {
  int64_t revision = 0;
  uint32_t sub = 0;
};
Result<ChangeKeyParts> DecodeChangeKey(Slice encoded);
std::string ChangeSpaceBegin();
std::string ChangeSpaceEnd();

// The latest-version record of a live key; its value is the fixed64
// revision of the key's newest version.
std::string LatestKey(Slice user_key);
std::string LatestValue(int64_t revision);
Result<int64_t> DecodeLatestValue(Slice value);
std::string LatestSpaceBegin();
std::string LatestSpaceEnd();

// Leases, and the keys attached to each (the lease's 'a' records hold the
// user key raw: the fixed-width id before it keeps them unambiguous).
std::string LeaseKey(int64_t id);
Result<int64_t> DecodeLeaseKey(Slice encoded);
std::string LeaseSpaceBegin();
std::string LeaseSpaceEnd();
std::string LeaseAttachKey(int64_t id, Slice user_key);
std::string LeaseAttachPrefix(int64_t id);
std::string LeaseAttachPrefixEnd(int64_t id);

// Metadata records (fixed64 values).
std::string MetaCurrentRevisionKey();
std::string MetaCompactedRevisionKey();

}  // namespace cairn::kv
