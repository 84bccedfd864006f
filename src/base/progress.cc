#include "base/progress.h"

#include <algorithm>
#include <cstdio>

namespace cairn {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

std::string Format(const char* fmt, double a, double b = 0, double c = 0, double d = 0) {
  char buf[128];
  std::snprintf(buf, sizeof buf, fmt, a, b, c, d);
  return buf;
}

}  // namespace

Progress::Progress(std::string label, uint64_t total, std::function<void(const std::string&)> out,
                   Clock::time_point start)
    : label_(std::move(label)),
      total_(total),
      out_(std::move(out)),
      start_(start),
      last_line_(start) {}

std::string Progress::Line(uint64_t done, Clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string line = label_ + ": ";
  if (total_ > 0) {
    line += Format("%.1f of %.1f MiB (%.0f%%)", done / kMiB, total_ / kMiB,
                   100.0 * static_cast<double>(done) / static_cast<double>(total_));
  } else {
    line += Format("%.1f MiB", done / kMiB);
  }
  line += Format(", %.1f MiB/s", rate / kMiB);
  if (total_ > 0 && rate > 0 && done < total_) {
    line += Format(", about %.0f s left", static_cast<double>(total_ - done) / rate);
  }
  return line;
}

void Progress::Update(uint64_t done, Clock::time_point now) {
  if (now - last_line_ < std::chrono::seconds(1)) return;
  last_line_ = now;
  ++lines_;
  out_(Line(done, now));
}

void Progress::Finish(uint64_t done, Clock::time_point now) {
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  out_(label_ + ": " +
       Format("%.1f MiB in %.1f s (%.1f MiB/s)", done / kMiB, seconds, rate / kMiB));
}

}  // namespace cairn
