#include "bench/load/options.h"

#include <set>

namespace cairn::bench {

void AddFlags(CLI::App& app, Options& o) {
  static const std::set<std::string> kWorkloads = {"put",       "range",         "txn-put",
                                                   "txn-mixed", "watch-latency", "lease-keepalive"};
  app.add_option("workload", o.workload,
                 "put | range | txn-put | txn-mixed | watch-latency | lease-keepalive")
      ->required()
      ->check(CLI::IsMember(kWorkloads));
  app.add_option("--endpoints", o.endpoints,
                 "gRPC endpoints; connection i goes to endpoint i mod n")
      ->delimiter(',');
  app.add_option("--conns", o.conns, "TCP connections (gRPC channels)")->check(CLI::Range(1, 1024));
  app.add_option("--clients", o.clients, "concurrent clients, each with one request in flight")
      ->check(CLI::Range(1, 100000));
  app.add_option("--total", o.total, "requests in all (watch-latency: puts)");
  app.add_option("--duration", o.duration, "seconds to run (with --total, whichever ends first)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--rate", o.rate, "requests per second over all clients (0: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--key-size", o.key_size, "bytes per key")->check(CLI::Range(1, 1 << 20));
  app.add_option("--val-size", o.val_size, "bytes per value")->check(CLI::Range(0, 1 << 24));
  app.add_option("--key-space-size", o.key_space_size, "distinct keys")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
  app.add_flag("--sequential-keys", o.sequential_keys, "keys in order instead of at random");
  app.add_option("--consistency", o.consistency, "range: l (linearizable) or s (serializable)")
      ->check(CLI::IsMember({"l", "s"}));
  app.add_option("--read-ratio", o.read_ratio, "txn-mixed: share of requests that read (0..1)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--watchers", o.watchers, "watch-latency: watch streams on the key")
      ->check(CLI::Range(1, 100000));
  app.add_option("--lease-ttl", o.lease_ttl, "lease-keepalive: TTL of each client's lease")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  app.add_option("--timeout", o.timeout, "seconds before one request counts as failed")
      ->check(CLI::PositiveNumber);
  app.add_option("--label", o.label, "name in the report (default: the workload)");
  app.add_flag("--json", o.json, "print the result as one JSON object");
  app.add_flag("!--no-progress", o.progress, "no progress line on stderr");
}

Status Validate(Options& o) {
  if (o.endpoints.empty()) return Status(Code::kInvalidArgument, "--endpoints is empty");
  if (o.total == 0 && o.duration == 0) o.total = 10000;
  if (o.label.empty()) o.label = o.workload;
  // Keys are the key number in decimal, zero-padded to --key-size.
  uint64_t largest = o.key_space_size - 1;
  int digits = 1;
  while (largest >= 10) {
    largest /= 10;
    digits++;
  }
  if (o.key_size < digits) {
    return Status(Code::kInvalidArgument, "--key-size " + std::to_string(o.key_size) +
                                              " is too small for --key-space-size " +
                                              std::to_string(o.key_space_size) + " (needs " +
                                              std::to_string(digits) + " bytes)");
  }
  if (o.workload == "watch-latency") {
    if (o.rate == 0) o.rate = 100;         // etcd's benchmark: --put-rate 100
    if (o.val_size < 20) o.val_size = 20;  // the value carries the put's number
    if (o.total == 0) o.total = static_cast<uint64_t>(o.rate * o.duration) + 1;
  }
  return Status::Ok();
}

}  // namespace cairn::bench
