#include "base/logging.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

namespace cairn {
namespace {

class StderrSink final : public LogSink {
 public:
  void Write(LogLevel, std::string_view line) override {
    // One fwrite per line so concurrent processes sharing stderr do not
    // interleave within a line.
    std::string buf;
    buf.reserve(line.size() + 1);
    buf.append(line);
    buf.push_back('\n');
    std::fwrite(buf.data(), 1, buf.size(), stderr);
  }
};

struct State {
  std::mutex mu;
  std::shared_ptr<LogSink> default_sink = std::make_shared<StderrSink>();
  std::shared_ptr<LogSink> sink = default_sink;
};

// Leaked so that logging (and CHECK) still works from static destructors.
State& GetState() {
  static State* state = new State;
  return *state;
}

std::atomic<LogFormat> g_format{LogFormat::kText};

// Set while this thread is inside a sink; a CHECK that fires there must not
// take the sink mutex again.
thread_local bool t_in_sink = false;

std::string_view Basename(const char* path) {
  std::string_view p(path);
  const size_t slash = p.rfind('/');
  return slash == std::string_view::npos ? p : p.substr(slash + 1);
}

void AppendTimestamp(std::string* out) {
  using namespace std::chrono;
  const auto now = time_point_cast<microseconds>(system_clock::now());
  const auto day = floor<days>(now);
  const year_month_day ymd{day};
  const hh_mm_ss hms{now - day};
  char buf[40];
  const int n = std::snprintf(
      buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", static_cast<int>(ymd.year()),
      static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
      static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
      static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
  out->append(buf, static_cast<size_t>(n));
}

// Length of the well-formed UTF-8 sequence at s[i], or 0 if it is not one
// (per Unicode table 3-7: no overlongs, no surrogates, nothing past U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<uint8_t>(s[i + k]); };
  const auto cont = [&](size_t k, uint8_t lo = 0x80, uint8_t hi = 0xBF) {
    return i + k < s.size() && b(k) >= lo && b(k) <= hi;
  };
  const uint8_t c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

// Messages may carry raw key bytes; invalid UTF-8 becomes U+FFFD so every
// line stays parseable JSON.
void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c >= 0x80) {
      const size_t len = Utf8SequenceLength(s, i);
      if (len == 0) {
        out->append("\\ufffd");
        ++i;
      } else {
        out->append(s.substr(i, len));
        i += len;
      }
      continue;
    }
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

// One event, one line: embedded line breaks would split it.
void AppendTextMessage(std::string* out, std::string_view s) {
  for (char c : s) {
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else {
      out->push_back(c);
    }
  }
}

std::string Format(LogLevel level, const char* file, int line, std::string_view message) {
  std::string out;
  out.reserve(message.size() + 64);
  std::string src;
  if (file != nullptr) {
    src.append(Basename(file));
    src.push_back(':');
    src.append(std::to_string(line));
  }
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    out.append("{\"ts\":\"");
    AppendTimestamp(&out);
    out.append("\",\"level\":\"");
    out.append(LogLevelName(level));
    out.append("\"");
    if (!src.empty()) {
      out.append(",\"src\":");
      AppendJsonString(&out, src);
    }
    out.append(",\"msg\":");
    AppendJsonString(&out, message);
    out.push_back('}');
  } else {
    AppendTimestamp(&out);
    out.push_back(' ');
    out.append(LogLevelName(level));
    out.push_back(' ');
    if (!src.empty()) {
      out.append(src);
      out.push_back(' ');
    }
    AppendTextMessage(&out, message);
  }
  return out;
}

// Returns whether the line went to the default (stderr) sink.
bool Write(LogLevel level, const std::string& line) {
  if (t_in_sink) {
    std::fprintf(stderr, "%s\n", line.c_str());
    return true;
  }
  State& state = GetState();
  std::lock_guard lock(state.mu);
  struct InSink {
    InSink() { t_in_sink = true; }
    ~InSink() { t_in_sink = false; }
  } in_sink;
  state.sink->Write(level, line);
  return state.sink == state.default_sink;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

bool ParseLogLevel(std::string_view name, LogLevel* level) {
  if (EqualsIgnoreCase(name, "debug")) {
    *level = LogLevel::kDebug;
  } else if (EqualsIgnoreCase(name, "info")) {
    *level = LogLevel::kInfo;
  } else if (EqualsIgnoreCase(name, "warn") || EqualsIgnoreCase(name, "warning")) {
    *level = LogLevel::kWarn;
  } else if (EqualsIgnoreCase(name, "error")) {
    *level = LogLevel::kError;
  } else {
    return false;
  }
  return true;
}

bool ParseLogFormat(std::string_view name, LogFormat* format) {
  if (EqualsIgnoreCase(name, "text")) {
    *format = LogFormat::kText;
  } else if (EqualsIgnoreCase(name, "json")) {
    *format = LogFormat::kJson;
  } else {
    return false;
  }
  return true;
}

void SetLogSink(std::shared_ptr<LogSink> sink) {
  State& state = GetState();
  std::lock_guard lock(state.mu);
  state.sink = sink ? std::move(sink) : state.default_sink;
}

void SetMinLogLevel(LogLevel level) {
  internal::g_min_log_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel MinLogLevel() {
  return static_cast<LogLevel>(internal::g_min_log_level.load(std::memory_order_relaxed));
}

void SetLogFormat(LogFormat format) {
  g_format.store(format, std::memory_order_relaxed);
}

LogFormat GetLogFormat() {
  return g_format.load(std::memory_order_relaxed);
}

void Log(LogLevel level, std::string_view message) {
  if (!LogEnabled(level)) return;
  Write(level, Format(level, nullptr, 0, message));
}

namespace internal {

void Emit(LogLevel level, const char* file, int line, std::string_view message) {
  Write(level, Format(level, file, line, message));
}

LogMessage::~LogMessage() {
  Emit(level_, file_, line_, stream_.view());
}

CheckFailure::CheckFailure(const char* file, int line, const char* condition)
    : file_(file), line_(line), condition_(condition) {}

CheckFailure::~CheckFailure() {
  // Ignores the minimum level: a crash must always say why.
  std::string message = "CHECK failed: ";
  message.append(condition_);
  if (const std::string_view detail = stream_.view(); !detail.empty()) {
    message.append(": ");
    message.append(detail);
  }
  const std::string line = Format(LogLevel::kError, file_, line_, message);
  // A custom sink may be a buffer nobody reads after abort; stderr always
  // gets the reason too.
  if (!Write(LogLevel::kError, line)) std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(nullptr);
  std::abort();
}

}  // namespace internal
}  // namespace cairn
