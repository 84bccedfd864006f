// cairn-bench: a load generator on the etcd v3 gRPC API (drives etcd and
// Cairn alike). See docs/BENCHMARKS.md.
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "bench/load/options.h"
#include "bench/load/printf.h"
#include "bench/load/report.h"
#include "bench/load/run.h"
#include "bench/load/streams.h"
#include "bench/load/unary_clients.h"

namespace cairn::bench {
namespace {

// Prints a progress line every second on stderr and stops the run when
// --duration is up; returns when `done` is set.
void Supervise(Run& run, Clock::time_point start, const std::atomic<bool>& done) {
  const Options& o = run.options();
  bool tty = isatty(STDERR_FILENO);
  auto stop_at = o.duration > 0
                     ? start + std::chrono::microseconds(static_cast<int64_t>(o.duration * 1e6))
                     : Clock::time_point::max();
  auto next_line = start + std::chrono::seconds(1);
  uint64_t last_ok = 0;
  int ticks = 0;
  while (!done) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto now = Clock::now();
    if (now >= stop_at) run.Stop();
    if (now < next_line || !o.progress) continue;
    next_line += std::chrono::seconds(1);
    uint64_t ok = run.ok();
    double elapsed = std::chrono::duration<double>(now - start).count();
    std::string left;
    if (o.duration > 0) {
      left = Printf("  %.0f s left", std::max(0.0, o.duration - elapsed));
    } else if (o.total > 0 && ok > 0) {
      const uint64_t done = ok + run.failed();
      const double rate = static_cast<double>(done) / elapsed;
      left = Printf("  %llu/%llu, about %.0f s left", static_cast<unsigned long long>(done),
                    static_cast<unsigned long long>(o.total),
                    done < o.total ? static_cast<double>(o.total - done) / rate : 0.0);
    }
    // On a terminal one line rewritten in place; in a log, one line every 5 s.
    if (tty || ++ticks % 5 == 0) {
      std::fprintf(stderr, "%s%s %5.1f s  %llu ok  %llu failed  %.0f/s%s%s", tty ? "\r" : "",
                   o.label.c_str(), elapsed, static_cast<unsigned long long>(ok),
                   static_cast<unsigned long long>(run.failed()), static_cast<double>(ok - last_ok),
                   left.c_str(), tty ? "   " : "\n");
    }
    last_ok = ok;
  }
  if (o.progress && tty) std::fprintf(stderr, "\n");
}

int Main(int argc, char** argv) {
  Options options;
  CLI::App app{"cairn-bench: load on the etcd v3 API (etcd or Cairn)"};
  AddFlags(app, options);
  CLI11_PARSE(app, argc, argv);
  if (Status s = Validate(options); !s.ok()) {
    std::fprintf(stderr, "cairn-bench: %s\n", s.message().c_str());
    return 2;
  }
  Run run(options);
  auto start = Clock::now();
  std::atomic<bool> done{false};
  std::thread supervisor([&] { Supervise(run, start, done); });
  std::vector<Tally> tallies;
  if (options.workload == "watch-latency") {
    tallies = RunWatchLatency(run);
  } else if (options.workload == "lease-keepalive") {
    tallies = RunLeaseKeepAlive(run);
  } else {
    tallies = RunUnaryWorkload(run);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  done = true;
  supervisor.join();
  Report report = MakeReport(options, seconds, tallies);
  std::string out = options.json ? FormatJson(options, report) : FormatText(options, report);
  std::fputs(out.c_str(), stdout);
  return report.ok() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace cairn::bench

int main(int argc, char** argv) {
  return cairn::bench::Main(argc, argv);
}
