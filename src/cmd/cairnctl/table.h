#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::ctl {

// A bordered text table in the style etcdctl's `-w table` prints:
//   +------+----+
//   | NAME | ID |
//   +------+----+
//   | n1   | 1a |
//   +------+----+
// Headers are centred, cells left-aligned; a row shorter than the header
// is padded with empty cells.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  void AddRow(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// Bytes as etcdctl shows sizes (SI units): "512 B", "20 kB", "1.5 MB".
std::string HumanBytes(uint64_t bytes);

// Ids as etcdctl prints them: members in plain lowercase hex ("%x"),
// leases zero-padded to 16 digits ("%016x"), and member ids in sentences
// ("Member ... added") space-padded to 16 ("%16x").
std::string HexId(uint64_t id);
std::string LeaseHex(int64_t id);
std::string PaddedHexId(uint64_t id);

}  // namespace cairn::ctl
