#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace cairn {

// Progress of a long transfer as people read it: "12.0 of 40.0 MiB (30%),
// 8.1 MiB/s, about 3 s left", at most one line a second, then a summary.
// The caller passes the time, so the lines are testable.
class Progress {
 public:
  using Clock = std::chrono::steady_clock;
  // `total` 0: unknown (no percentage or time left). `out` gets each line.
  Progress(std::string label, uint64_t total, std::function<void(const std::string&)> out,
           Clock::time_point start = Clock::now());

  void set_total(uint64_t total) { total_ = total; }
  // `done` bytes so far; writes a line if a second has passed since the last.
  void Update(uint64_t done, Clock::time_point now = Clock::now());
  // The summary: "40.0 MiB in 4.9 s (8.2 MiB/s)".
  void Finish(uint64_t done, Clock::time_point now = Clock::now());

  // Progress lines written so far (a transfer under a second writes none).
  int lines() const { return lines_; }

  // The line Update would write.
  std::string Line(uint64_t done, Clock::time_point now) const;

 private:
  std::string label_;
  uint64_t total_;
  std::function<void(const std::string&)> out_;
  Clock::time_point start_, last_line_;
  int lines_ = 0;
};

}  // namespace cairn
