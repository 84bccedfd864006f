#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace cairn::bench {

// cairn-bench's flags; names follow etcd's `benchmark` tool where it has one.
struct Options {
  std::string workload;  // put, range, txn-put, txn-mixed, watch-latency, lease-keepalive
  std::vector<std::string> endpoints{"127.0.0.1:2379"};
  int conns = 1;
  int clients = 1;
  uint64_t total = 0;   // requests in all; 0 with no --duration means 10,000
  double duration = 0;  // seconds; ends the run even if --total is not reached
  double rate = 0;      // requests per second over all clients; 0 is unlimited
  int key_size = 8;
  int val_size = 8;
  uint64_t key_space_size = 1;
  bool sequential_keys = false;
  std::string consistency = "l";  // range: l (linearizable) or s (serializable)
  double read_ratio = 0.5;        // txn-mixed: the share of requests that read
  int watchers = 10;              // watch-latency: watch streams on the key
  int64_t lease_ttl = 60;         // lease-keepalive: the TTL granted
  double timeout = 10;            // seconds per request
  std::string label;              // named in the report (defaults to the workload)
  bool json = false;
  bool progress = true;
};

// Registers every flag on `app`, writing into `options`.
void AddFlags(CLI::App& app, Options& options);
// Checks the parsed flags against each other and fills defaults that depend
// on others; an error explains what is wrong, for the user.
Status Validate(Options& options);

}  // namespace cairn::bench
