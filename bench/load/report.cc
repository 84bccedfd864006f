#include "bench/load/report.h"

#include <nlohmann/json.hpp>

#include "bench/load/printf.h"

namespace cairn::bench {
namespace {

const char* CodeName(int code) {
  static const char* kNames[] = {"OK",
                                 "CANCELLED",
                                 "UNKNOWN",
                                 "INVALID_ARGUMENT",
                                 "DEADLINE_EXCEEDED",
                                 "NOT_FOUND",
                                 "ALREADY_EXISTS",
                                 "PERMISSION_DENIED",
                                 "RESOURCE_EXHAUSTED",
                                 "FAILED_PRECONDITION",
                                 "ABORTED",
                                 "OUT_OF_RANGE",
                                 "UNIMPLEMENTED",
                                 "INTERNAL",
                                 "UNAVAILABLE",
                                 "DATA_LOSS",
                                 "UNAUTHENTICATED"};
  return code >= 0 && code <= 16 ? kNames[code] : "UNKNOWN_CODE";
}

struct Quantile {
  const char* name;
  double q;
};
constexpr Quantile kQuantiles[] = {{"p50", 0.5}, {"p90", 0.9}, {"p99", 0.99}, {"p99.9", 0.999}};

double Millis(int64_t nanos) {
  return nanos / 1e6;
}

}  // namespace

uint64_t Report::failed() const {
  uint64_t n = 0;
  for (const auto& [code, count] : tally.errors)
    n += count;
  return n;
}

Report MakeReport(const Options& options, double seconds, const std::vector<Tally>& tallies) {
  Report r;
  r.label = options.label;
  r.workload = options.workload;
  r.seconds = seconds;
  for (const auto& t : tallies)
    r.tally.Merge(t);
  return r;
}

std::string FormatText(const Options& o, const Report& r) {
  const Histogram& h = r.tally.latency;
  std::string out = Printf("%s: %d clients over %d connections to %zu endpoint(s), %.1f s\n",
                           r.label.c_str(), o.clients, o.conns, o.endpoints.size(), r.seconds);
  out += Printf("  requests    %llu ok, %llu failed\n", static_cast<unsigned long long>(r.ok()),
                static_cast<unsigned long long>(r.failed()));
  out += Printf("  throughput  %.1f /s\n", r.throughput());
  out += Printf("  latency ms  mean %.3f", h.mean() / 1e6);
  for (const auto& q : kQuantiles)
    out += Printf("  %s %.3f", q.name, Millis(h.Quantile(q.q)));
  out += Printf("  max %.3f\n", Millis(h.max()));
  for (const auto& [code, count] : r.tally.errors) {
    out += Printf("  error       %s x%llu: %s\n", CodeName(code),
                  static_cast<unsigned long long>(count), r.tally.first_message.at(code).c_str());
  }
  return out;
}

std::string FormatJson(const Options& o, const Report& r) {
  const Histogram& h = r.tally.latency;
  nlohmann::json latency = {{"mean", h.mean() / 1e6}, {"max", Millis(h.max())}};
  for (const auto& q : kQuantiles)
    latency[q.name] = Millis(h.Quantile(q.q));
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& [code, count] : r.tally.errors) {
    errors.push_back(
        {{"code", CodeName(code)}, {"count", count}, {"message", r.tally.first_message.at(code)}});
  }
  nlohmann::json j = {
      {"label", r.label},      {"workload", r.workload}, {"endpoints", o.endpoints},
      {"conns", o.conns},      {"clients", o.clients},   {"seconds", r.seconds},
      {"ok", r.ok()},          {"failed", r.failed()},   {"throughput", r.throughput()},
      {"latency_ms", latency}, {"errors", errors}};
  return j.dump() + "\n";
}

}  // namespace cairn::bench
