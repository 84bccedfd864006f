#pragma once

#include <string>
#include <vector>

#include "bench/load/run.h"

namespace cairn::bench {

// The outcome of one run, as printed.
struct Report {
  std::string label;
  std::string workload;
  double seconds = 0;
  Tally tally;  // every client's, merged

  uint64_t ok() const { return tally.latency.count(); }
  uint64_t failed() const;
  double throughput() const { return seconds > 0 ? ok() / seconds : 0; }
};

Report MakeReport(const Options& options, double seconds, const std::vector<Tally>& tallies);
std::string FormatText(const Options& options, const Report& report);
std::string FormatJson(const Options& options, const Report& report);

}  // namespace cairn::bench
