#pragma once

#include <atomic>
#include <memory>
#include <sstream>
#include <string_view>

// Leveled, one-line-per-event logging and CAIRN_CHECK.
//
//   CAIRN_LOG(INFO) << "became leader term=" << term;
//   CAIRN_CHECK(commit <= last_index) << "commit=" << commit;
//
// A filtered-out CAIRN_LOG costs one relaxed atomic load; its stream
// arguments are not evaluated. Callers never supply timestamps: the wall clock
// is read once per emitted line, here, so code under simulation stays free of
// real time.

namespace cairn {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kText, kJson };

const char* LogLevelName(LogLevel level);  // "DEBUG", "INFO", "WARN", "ERROR"
// Case-insensitive "debug", "info", "warn"/"warning", "error"; false otherwise.
bool ParseLogLevel(std::string_view name, LogLevel* level);
// "text" or "json" (the value of --log-format); false otherwise.
bool ParseLogFormat(std::string_view name, LogFormat* format);

// Receives each emitted event as one complete line, without the newline.
// Calls are serialized, so a sink need not be thread-safe, but it must not log.
class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(LogLevel level, std::string_view line) = 0;
};

// nullptr restores the default sink (stderr).
void SetLogSink(std::shared_ptr<LogSink> sink);
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// kText: `2024-11-27T08:45:00.123456Z INFO raft.cc:42 msg`
// kJson: {"ts":"2024-11-27T08:45:00.123456Z","level":"INFO","src":"raft.cc:42","msg":"msg"}
void SetLogFormat(LogFormat format);
LogFormat GetLogFormat();

namespace internal {
// Inline so the level test is constant-initialized and needs no call.
inline std::atomic<int> g_min_log_level{static_cast<int>(LogLevel::kInfo)};
}  // namespace internal

inline bool LogEnabled(LogLevel level) {
  return static_cast<int>(level) >= internal::g_min_log_level.load(std::memory_order_relaxed);
}

// For callers that already have the whole message; no source location.
void Log(LogLevel level, std::string_view message);

namespace internal {

void Emit(LogLevel level, const char* file, int line, std::string_view message);

class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line)
      : level_(level), file_(file), line_(line) {}
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  const char* file_;
  int line_;
  const char* condition_;
  std::ostringstream stream_;
};

// Turns the `stream << ...` chain into void so both arms of the ?: in the
// macros agree; `&` binds looser than `<<` and tighter than `?:`.
struct Voidify {
  void operator&(std::ostream&) {}
};

// CAIRN_LOG(INFO) pastes INFO onto this prefix instead of naming an enum
// member, so a stray -DDEBUG or <windows.h> ERROR macro cannot break it.
inline constexpr LogLevel kLevel_DEBUG = LogLevel::kDebug;
inline constexpr LogLevel kLevel_INFO = LogLevel::kInfo;
inline constexpr LogLevel kLevel_WARN = LogLevel::kWarn;
inline constexpr LogLevel kLevel_WARNING = LogLevel::kWarn;
inline constexpr LogLevel kLevel_ERROR = LogLevel::kError;

}  // namespace internal
}  // namespace cairn

// Level given as a runtime LogLevel value.
#define CAIRN_LOG_AT(level)            \
  !::cairn::LogEnabled(level)          \
      ? (void)0                        \
      : ::cairn::internal::Voidify() & \
            ::cairn::internal::LogMessage((level), __FILE__, __LINE__).stream()

// CAIRN_LOG(DEBUG | INFO | WARN | ERROR) << ...;
#define CAIRN_LOG(severity) CAIRN_LOG_AT(::cairn::internal::kLevel_##severity)

// Active in every build type: these guard invariants whose violation would
// corrupt replicated state, where continuing is worse than crashing.
#define CAIRN_CHECK(...)               \
  static_cast<bool>(__VA_ARGS__)       \
      ? (void)0                        \
      : ::cairn::internal::Voidify() & \
            ::cairn::internal::CheckFailure(__FILE__, __LINE__, #__VA_ARGS__).stream()
