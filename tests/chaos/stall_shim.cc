// An LD_PRELOAD shim for the chaos harness's disk-stall fault: while the
// file named by CAIRN_CHAOS_STALL_FILE exists, fsync and fdatasync wait (as
// a disk that stops answering would), then go on to the real call. libfiu
// can make them fail but not stall.
#include <dlfcn.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>

namespace {

void WaitWhileStalled() {
  const char* path = std::getenv("CAIRN_CHAOS_STALL_FILE");
  if (path == nullptr) return;
  while (access(path, F_OK) == 0) {
    timespec pause{0, 10 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
}

template <typename Fn>
Fn Real(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Real<int (*)(int)>("fsync");
  WaitWhileStalled();
  return real(fd);
}

extern "C" int fdatasync(int fd) {
  static auto real = Real<int (*)(int)>("fdatasync");
  WaitWhileStalled();
  return real(fd);
}
