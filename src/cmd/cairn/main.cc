// cairn: one member of a Cairn cluster. Flags follow etcd's (cairn --help).
#include <absl/synchronization/mutex.h>
#include <grpc/support/log.h>
#include <signal.h>
#ifdef CAIRN_TCMALLOC
#include <gperftools/malloc_extension.h>
#endif
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "base/logging.h"
#include "cmd/cairn/config.h"
#include "cmd/cairn/server.h"

namespace {
constexpr int kShutdownDeadlineSeconds = 20;
// The exit status after a failed write or fdatasync (docs/OPERATIONS.md).
constexpr int kStorageFailedExit = 3;
std::atomic<bool> g_stop{false};
void OnSignal(int) {
  g_stop = true;
}
// gRPC's own messages go through Cairn's log, so that --log-format json
// yields JSON lines only (gRPC writes plain text to stderr otherwise).
void LogGrpcMessage(gpr_log_func_args* args) {
  const cairn::LogLevel level = args->severity == GPR_LOG_SEVERITY_ERROR  ? cairn::LogLevel::kError
                                : args->severity == GPR_LOG_SEVERITY_INFO ? cairn::LogLevel::kInfo
                                                                          : cairn::LogLevel::kDebug;
  if (!cairn::LogEnabled(level)) return;
  cairn::internal::LogMessage(level, args->file, args->line).stream() << "grpc: " << args->message;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace cairn;
  Result<cmd::ServerConfig> config = cmd::ParseServerConfig(argc, argv);
  if (!config.ok()) {
    std::cerr << "cairn: " << config.status().message() << "\n";
    return 2;
  }
  if (config->log_format == "json") SetLogFormat(LogFormat::kJson);
  gpr_set_log_function(LogGrpcMessage);
  // Debian builds Abseil with lock-order tracking on: gRPC's mutexes then
  // maintain a lock graph on every acquisition (2% of a busy server's CPU).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#ifdef CAIRN_TCMALLOC
  // tcmalloc's per-thread caches may hold 32 MiB by default; a few MiB keep
  // the allocation fast path and the memory a member holds small.
  MallocExtension::instance()->SetNumericProperty("tcmalloc.max_total_thread_cache_bytes", 4 << 20);
#endif
  Result<std::unique_ptr<cmd::Server>> server = cmd::Server::Start(*config);
  if (!server.ok()) {
    // Through the log, so that --log-format json stays JSON to the last line.
    CAIRN_LOG(ERROR) << "cairn: " << server.status().ToString();
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A member removed from the cluster stops by itself, as etcd's does.
  while (!g_stop && !(*server)->removed()) {
    if (Status health = (*server)->storage_health(); !health.ok()) {
      // A member whose WAL failed acknowledges nothing more and cannot heal
      // in place (the page cache may have dropped the failed pages): exit,
      // so that the service manager restarts it from what is on disk,
      // rather than linger looking alive. No graceful stop: everything
      // acknowledged is already durable, and the stop could wait on the
      // broken disk.
      CAIRN_LOG(ERROR) << "cairn member " << config->name << ": storage failed ("
                       << health.message() << "); exiting with status " << kStorageFailedExit
                       << " to be restarted from what is on disk";
      std::fflush(nullptr);
      _exit(kStorageFailedExit);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CAIRN_LOG(INFO) << "cairn member " << config->name << ": shutting down";
  // A clean stop hands leadership over and lets calls finish; if something
  // holds it up, stop anyway: everything acknowledged is already durable.
  std::thread([] {
    std::this_thread::sleep_for(std::chrono::seconds(kShutdownDeadlineSeconds));
    CAIRN_LOG(ERROR) << "shutdown did not finish within " << kShutdownDeadlineSeconds
                     << " s; exiting anyway (acknowledged writes are on disk)";
    _exit(1);
  }).detach();
  (*server)->Shutdown();
  server->reset();
  return 0;
}
