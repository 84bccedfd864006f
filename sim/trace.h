#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cairn::sim {

// The simulation's event trace: a running hash of every event (two runs of
// one seed must produce the same hash) and the most recent events, kept
// cheaply and formatted only when a failure is reported.
class Trace {
 public:
  explicit Trace(size_t keep = 256) : ring_(keep) {}

  // `what` must be a string literal (it is stored as a pointer).
  void Add(int64_t time, const char* what, uint64_t a, uint64_t b, uint64_t c, uint64_t d = 0);

  uint64_t hash() const { return hash_; }
  uint64_t count() const { return count_; }
  // The last `n` events, one per line.
  std::string Tail(size_t n) const;

 private:
  struct Event {
    int64_t time = 0;
    const char* what = "";
    uint64_t a = 0, b = 0, c = 0, d = 0;
  };
  std::vector<Event> ring_;
  uint64_t count_ = 0;
  uint64_t hash_ = 0x84222325cbf29ce4ULL;
};

}  // namespace cairn::sim
