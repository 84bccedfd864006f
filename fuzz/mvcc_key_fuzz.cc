// Feeds arbitrary bytes to the MVCC key decoders: nothing may crash, and a
// key that decodes must be the canonical encoding of what it decodes to.
#include <cstdint>

#include "kv/mvcc_key.h"

using namespace cairn;
using namespace cairn::kv;

namespace {
void Require(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Slice in(reinterpret_cast<const char*>(data), size);
  Result<DataKeyParts> parts = DecodeDataKey(in);
  if (parts.ok()) {
    Require(DataKey(parts->user_key, parts->revision) == in.ToString());
    Result<int64_t> rev = DataKeyRevision(in);
    Require(rev.ok() && *rev == parts->revision);
  }
  (void)DataKeyRevision(in);
  Result<ChangeKeyParts> change = DecodeChangeKey(in);
  if (change.ok()) Require(ChangeKey(change->revision, change->sub) == in.ToString());
  // The other direction: any bytes as a user key round-trip, and order is kept.
  if (size >= 8) {
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits = (bits << 8) | data[i];
    // Stored revisions are in [1, kMaxRevision].
    int64_t revision = static_cast<int64_t>(bits & static_cast<uint64_t>(kMaxRevision));
    if (revision == 0) revision = 1;
    Slice key(reinterpret_cast<const char*>(data) + 8, size - 8);
    Result<DataKeyParts> back = DecodeDataKey(DataKey(key, revision));
    Require(back.ok() && back->user_key == key.ToString() && back->revision == revision);
    size_t half = key.size() / 2;
    Slice a(key.data(), half), b(key.data() + half, key.size() - half);
    int user_order = a.compare(b);
    int encoded_order = Slice(DataKeyPrefix(a)).compare(DataKeyPrefix(b));
    Require((user_order < 0) == (encoded_order < 0) && (user_order == 0) == (encoded_order == 0));
  }
  return 0;
}
