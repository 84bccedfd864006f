// An LD_PRELOAD shim for the chaos harness's clock fault: the wall clock
// (CLOCK_REALTIME, gettimeofday, time) reads the offset in seconds written
// in the file named by CAIRN_CHAOS_CLOCK_FILE, re-read at most every 100 ms;
// the monotonic clock is left alone, as an NTP step would leave it. Waits
// the kernel times against the real wall clock are not shifted, so a wait
// whose deadline came from the skewed clock ends that much later, as one
// parked across a real step back does. libfaketime did this before, but it
// also rewrote the deadlines of waits on the monotonic clock, stalling every
// timer by the skew: a fault of the tool, not of the machine.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

namespace {

using ClockGettime = int (*)(clockid_t, timespec*);

ClockGettime RealClockGettime() {
  static auto real = reinterpret_cast<ClockGettime>(dlsym(RTLD_NEXT, "clock_gettime"));
  return real;
}

int64_t OffsetSeconds() {
  static std::atomic<int64_t> offset{0};
  static std::atomic<int64_t> next_read_ns{0};
  timespec mono;
  RealClockGettime()(CLOCK_MONOTONIC, &mono);
  const int64_t now = int64_t{mono.tv_sec} * 1000000000 + mono.tv_nsec;
  if (now >= next_read_ns.load(std::memory_order_relaxed)) {
    next_read_ns.store(now + 100000000, std::memory_order_relaxed);
    const char* path = std::getenv("CAIRN_CHAOS_CLOCK_FILE");
    int64_t value = 0;
    int fd = path == nullptr ? -1 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      char buf[32] = {};
      if (read(fd, buf, sizeof buf - 1) > 0) value = std::strtoll(buf, nullptr, 10);
      close(fd);
    }
    offset.store(value, std::memory_order_relaxed);
  }
  return offset.load(std::memory_order_relaxed);
}

bool IsWallClock(clockid_t id) {
  return id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;
}

}  // namespace

extern "C" int clock_gettime(clockid_t id, timespec* ts) {
  int rc = RealClockGettime()(id, ts);
  if (rc == 0 && IsWallClock(id)) ts->tv_sec += OffsetSeconds();
  return rc;
}

extern "C" int gettimeofday(timeval* tv, void*) {
  timespec ts;
  int rc = clock_gettime(CLOCK_REALTIME, &ts);
  if (rc == 0) {
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
  }
  return rc;
}

extern "C" time_t time(time_t* out) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  if (out != nullptr) *out = ts.tv_sec;
  return ts.tv_sec;
}
