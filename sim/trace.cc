#include "sim/trace.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "sim/kv_machine.h"

namespace cairn::sim {

void Trace::Add(int64_t time, const char* what, uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
  uint64_t h = MixHash(hash_, static_cast<uint64_t>(time));
  for (const char* p = what; *p; p++)
    h = MixHash(h, static_cast<unsigned char>(*p));
  h = MixHash(h, a);
  h = MixHash(h, b);
  h = MixHash(h, c);
  hash_ = MixHash(h, d);
  ring_[count_ % ring_.size()] = Event{time, what, a, b, c, d};
  count_++;
}

std::string Trace::Tail(size_t n) const {
  n = std::min<uint64_t>(std::min<uint64_t>(n, ring_.size()), count_);
  std::string out;
  for (uint64_t i = count_ - n; i < count_; i++) {
    const Event& e = ring_[i % ring_.size()];
    char line[160];
    std::snprintf(line, sizeof(line), "  t=%10.3fms %-26s %llu %llu %llu %llu\n",
                  static_cast<double>(e.time) / 1000.0, e.what,
                  static_cast<unsigned long long>(e.a), static_cast<unsigned long long>(e.b),
                  static_cast<unsigned long long>(e.c), static_cast<unsigned long long>(e.d));
    out += line;
  }
  return out;
}

}  // namespace cairn::sim
