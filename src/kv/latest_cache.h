#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cairn::kv {

// What the writer knows of a key's newest version.
struct LatestMeta {
  bool live = false;  // false: the key has no live version
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  int64_t lease = 0;
};

// The newest version of recently written keys, so that a put need not read
// it back from RocksDB: those two reads per put were a large share of the
// apply thread's time. Only the writer (the apply thread) uses it; readers
// read committed snapshots and never see it. The store empties it whenever
// its contents change other than through a committed writer batch (a
// failed or rolled-back batch, a restored snapshot). Bounded: past
// max_entries it starts over, which costs reads, never correctness.
class LatestCache {
 public:
  explicit LatestCache(size_t max_entries = 1 << 18) : max_entries_(max_entries) {}

  const LatestMeta* Find(std::string_view key) const {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }
  void Put(std::string_view key, const LatestMeta& meta) {
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second = meta;
      return;
    }
    if (map_.size() >= max_entries_) map_.clear();
    map_.emplace(std::string(key), meta);
  }
  void Clear() { map_.clear(); }
  size_t size() const { return map_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  size_t max_entries_;
  std::unordered_map<std::string, LatestMeta, Hash, std::equal_to<>> map_;
};

}  // namespace cairn::kv
