#include "cmd/cairnctl/table.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace cairn::ctl {

std::string Table::Render() const {
  std::vector<size_t> width(headers_.size());
  for (size_t c = 0; c < headers_.size(); ++c) {
    width[c] = headers_[c].size();
    for (const auto& row : rows_)
      if (c < row.size()) width[c] = std::max(width[c], row[c].size());
  }
  std::string rule = "+";
  for (size_t w : width)
    rule += std::string(w + 2, '-') + "+";
  rule += "\n";

  std::string out = rule + "|";
  for (size_t c = 0; c < headers_.size(); ++c) {
    size_t pad = width[c] - headers_[c].size();
    out += std::string(1 + pad / 2, ' ') + headers_[c] + std::string(1 + pad - pad / 2, ' ') + "|";
  }
  out += "\n" + rule;
  for (const auto& row : rows_) {
    out += "|";
    for (size_t c = 0; c < headers_.size(); ++c) {
      std::string cell = c < row.size() ? row[c] : "";
      out += " " + cell + std::string(width[c] - cell.size() + 1, ' ') + "|";
    }
    out += "\n";
  }
  if (!rows_.empty()) out += rule;
  return out;
}

std::string HumanBytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
  if (bytes < 10) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  size_t unit = 0;
  while (value >= 1000 && unit + 1 < std::size(kUnits)) {
    value /= 1000;
    ++unit;
  }
  char buf[32];
  // One decimal below 10 ("1.5 MB"), none above ("20 kB"), as etcdctl.
  std::snprintf(buf, sizeof buf, value < 10 && unit > 0 ? "%.1f %s" : "%.0f %s", value,
                kUnits[unit]);
  return buf;
}

namespace {

std::string Format(const char* format, uint64_t id) {
  char buf[24];
  std::snprintf(buf, sizeof buf, format, id);
  return buf;
}

}  // namespace

std::string HexId(uint64_t id) {
  return Format("%" PRIx64, id);
}
std::string LeaseHex(int64_t id) {
  return Format("%016" PRIx64, static_cast<uint64_t>(id));
}
std::string PaddedHexId(uint64_t id) {
  return Format("%16" PRIx64, id);
}

}  // namespace cairn::ctl
