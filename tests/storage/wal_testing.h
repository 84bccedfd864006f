#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "consensus/raft/types.h"
#include "storage/wal.h"

namespace cairn::storage::testing {

// Entry contents are a function of (group, index, term), so any entry read
// back can be checked for integrity without remembering what was written.
inline std::string EntryData(uint64_t group, raft::Index index, raft::Term term) {
  std::string out =
      "g" + std::to_string(group) + "i" + std::to_string(index) + "t" + std::to_string(term) + ":";
  uint64_t x = group * 0x9E3779B97F4A7C15ull ^ index * 0xC2B2AE3D27D4EB4Full ^ term;
  size_t len = 16 + (x % 200);
  while (out.size() < len) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    out.push_back(static_cast<char>('a' + (x >> 59)));
  }
  return out;
}

inline raft::Entry MakeEntry(uint64_t group, raft::Index index, raft::Term term) {
  return raft::Entry{term, index, raft::EntryType::kNormal, EntryData(group, index, term)};
}

inline GroupWrite Append(uint64_t group, raft::Index first, raft::Index last, raft::Term term) {
  GroupWrite w;
  w.group = group;
  for (raft::Index i = first; i <= last; ++i)
    w.entries.push_back(MakeEntry(group, i, term));
  return w;
}

// A directory under the system temp dir, removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cairn-test-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace cairn::storage::testing
