// An LD_PRELOAD shim for the chaos harness's disk faults, on regular files
// only (sockets, pipes and eventfds are never touched: a real disk failing
// does not break them):
//  - while the file named by CAIRN_CHAOS_STALL_FILE exists, fsync and
//    fdatasync wait, as on a disk that stops answering;
//  - while the file named by CAIRN_CHAOS_FAIL_FILE exists, half of the calls
//    it names ("sync": fsync and fdatasync; "write": write, pwrite, writev,
//    pwritev) fail with EIO; "sync /groups/" fails every such call on files
//    whose path contains "/groups/" (the state machine's, not the WAL's).
// libfiu's POSIX preload did the failing before; it wraps every POSIX call,
// madvise included, and deadlocked inside tcmalloc (a wrapped madvise under
// tcmalloc's locks allocating in turn), so the harness has its own.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

bool Exists(const char* path) {
  return path != nullptr && access(path, F_OK) == 0;
}

void WaitWhileStalled() {
  const char* path = std::getenv("CAIRN_CHAOS_STALL_FILE");
  while (Exists(path)) {
    timespec pause{0, 10 * 1000 * 1000};
    nanosleep(&pause, nullptr);
  }
}

bool RegularFile(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

// True (and errno = EIO) when this call, of `kind`, is to fail.
bool Fails(const char* kind, int fd) {
  const char* path = std::getenv("CAIRN_CHAOS_FAIL_FILE");
  if (!Exists(path) || !RegularFile(fd)) return false;
  char what[128] = {};
  int f = open(path, O_RDONLY | O_CLOEXEC);
  if (f < 0) return false;
  ssize_t n = read(f, what, sizeof what - 1);
  close(f);
  if (n <= 0 || std::strncmp(what, kind, std::strlen(kind)) != 0) return false;
  // An optional path filter after the kind: "sync /groups/".
  const char* filter = what + std::strlen(kind);
  while (*filter == ' ')
    ++filter;
  if (*filter != '\0' && *filter != '\n') {
    std::string want(filter, std::strcspn(filter, "\n"));
    char link[64], target[4096] = {};
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    if (readlink(link, target, sizeof target - 1) <= 0) return false;
    if (std::strstr(target, want.c_str()) == nullptr) return false;
    errno = EIO;
    return true;
  }
  static thread_local unsigned seed = static_cast<unsigned>(gettid());
  if (rand_r(&seed) % 2 != 0) return false;
  errno = EIO;
  return true;
}

template <typename Fn>
Fn Real(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" int fsync(int fd) {
  static auto real = Real<int (*)(int)>("fsync");
  WaitWhileStalled();
  return Fails("sync", fd) ? -1 : real(fd);
}

extern "C" int fdatasync(int fd) {
  static auto real = Real<int (*)(int)>("fdatasync");
  WaitWhileStalled();
  return Fails("sync", fd) ? -1 : real(fd);
}

extern "C" ssize_t write(int fd, const void* buf, size_t count) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t)>("write");
  return Fails("write", fd) ? -1 : real(fd, buf, count);
}

extern "C" ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  return Fails("write", fd) ? -1 : real(fd, buf, count, offset);
}

extern "C" ssize_t pwrite64(int fd, const void* buf, size_t count, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite64");
  return Fails("write", fd) ? -1 : real(fd, buf, count, offset);
}

extern "C" ssize_t writev(int fd, const iovec* iov, int iovcnt) {
  static auto real = Real<ssize_t (*)(int, const iovec*, int)>("writev");
  return Fails("write", fd) ? -1 : real(fd, iov, iovcnt);
}

extern "C" ssize_t pwritev(int fd, const iovec* iov, int iovcnt, off_t offset) {
  static auto real = Real<ssize_t (*)(int, const iovec*, int, off_t)>("pwritev");
  return Fails("write", fd) ? -1 : real(fd, iov, iovcnt, offset);
}
