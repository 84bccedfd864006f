// cairn-sim: runs the deterministic cluster simulation over a range of seeds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "sim/simulation.h"

namespace {

using cairn::raft::PlantedBug;

bool ParseBug(const std::string& name, PlantedBug* bug) {
  if (name == "none")
    *bug = PlantedBug::kNone;
  else if (name == "forget-vote")
    *bug = PlantedBug::kForgetVote;
  else if (name == "commit-previous-term")
    *bug = PlantedBug::kCommitPreviousTerm;
  else if (name == "read-index-no-heartbeat")
    *bug = PlantedBug::kReadIndexNoHeartbeat;
  else if (name == "accept-append-without-match")
    *bug = PlantedBug::kAcceptAppendWithoutMatch;
  else
    return false;
  return true;
}

int Usage() {
  std::fprintf(stderr,
               "usage: cairn-sim [--seeds A..B | --seed N] [--voters 3|5] [--bug NAME]\n"
               "                 [--fault-ms N] [--trace EVENTS] [--verbose] [--stop-on-failure]\n"
               "  bugs: forget-vote commit-previous-term read-index-no-heartbeat\n"
               "        accept-append-without-match\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t first = 0, last = 99;
  cairn::sim::SimOptions base;
  bool verbose = false, stop = false;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--seeds") {
      std::string r = next();
      auto dots = r.find("..");
      if (dots == std::string::npos) return Usage();
      first = std::strtoull(r.substr(0, dots).c_str(), nullptr, 10);
      last = std::strtoull(r.substr(dots + 2).c_str(), nullptr, 10);
    } else if (a == "--seed") {
      first = last = std::strtoull(next().c_str(), nullptr, 10);
    } else if (a == "--voters") {
      base.voters = std::atoi(next().c_str());
    } else if (a == "--bug") {
      if (!ParseBug(next(), &base.bug)) return Usage();
    } else if (a == "--fault-ms") {
      base.fault_phase_us = std::atoll(next().c_str()) * 1000;
    } else if (a == "--trace") {
      base.trace_tail = std::atoi(next().c_str());
    } else if (a == "--verbose") {
      verbose = true;
    } else if (a == "--stop-on-failure") {
      stop = true;
    } else {
      return Usage();
    }
  }
  if (last < first) return Usage();
  uint64_t passed = 0, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  double simulated_s = 0;
  for (uint64_t seed = first; seed <= last; seed++) {
    cairn::sim::SimOptions opt = base;
    opt.seed = seed;
    const auto r = cairn::sim::RunSimulation(opt);
    simulated_s += static_cast<double>(r.simulated_us) / 1e6;
    if (r.ok) {
      passed++;
      if (verbose) {
        std::printf(
            "seed %llu ok: %llu ops, %llu acked writes, %llu leader changes, %llu crashes, "
            "%llu snapshot installs, %llu conf changes, %llu events, trace %016llx\n  %s\n",
            (unsigned long long)seed, (unsigned long long)r.operations,
            (unsigned long long)r.acked_writes, (unsigned long long)r.leader_changes,
            (unsigned long long)r.crashes, (unsigned long long)r.snapshots_sent,
            (unsigned long long)r.conf_changes, (unsigned long long)r.events,
            (unsigned long long)r.trace_hash, r.knobs.ToString().c_str());
      }
      continue;
    }
    failed++;
    std::printf(
        "FAIL seed %llu: %s\n  %s\n  knobs: %s\n  last events:\n%s  replay: cairn-sim --seed "
        "%llu%s\n",
        (unsigned long long)seed, r.property.c_str(), r.detail.c_str(), r.knobs.ToString().c_str(),
        r.trace_tail.c_str(), (unsigned long long)seed,
        base.voters ? (" --voters " + std::to_string(base.voters)).c_str() : "");
    std::fflush(stdout);
    if (stop) break;
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("seeds %llu..%llu: %.1fs wall, %.0f simulated s (%.0fx)\n", (unsigned long long)first,
              (unsigned long long)last, wall, simulated_s, wall > 0 ? simulated_s / wall : 0.0);
  std::printf("%llu passed, %llu failed\n", (unsigned long long)passed, (unsigned long long)failed);
  return failed == 0 ? 0 : 1;
}
