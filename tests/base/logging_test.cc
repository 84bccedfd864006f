#include "base/logging.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cairn {
namespace {

class CapturingSink : public LogSink {
 public:
  void Write(LogLevel level, std::string_view line) override {
    levels.push_back(level);
    lines.emplace_back(line);
  }
  std::vector<LogLevel> levels;
  std::vector<std::string> lines;
};

// Logging state is global; each test starts from defaults and restores them.
class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sink_ = std::make_shared<CapturingSink>();
    SetLogSink(sink_);
    SetMinLogLevel(LogLevel::kInfo);
    SetLogFormat(LogFormat::kText);
  }
  void TearDown() override {
    SetLogSink(nullptr);
    SetMinLogLevel(LogLevel::kInfo);
    SetLogFormat(LogFormat::kText);
  }
  const std::vector<std::string>& lines() const { return sink_->lines; }

  std::shared_ptr<CapturingSink> sink_;
};

// Replaces the first timestamp of the exact form 2024-11-27T08:45:00.123456Z
// with "<ts>", so the rest of a line can be compared exactly. (std::regex is
// avoided: GCC 12 warns inside <regex> at -O2, and warnings are errors.)
std::string MaskTimestamp(const std::string& line) {
  static constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.ddddddZ";
  for (size_t i = 0; i + kShape.size() <= line.size(); ++i) {
    bool match = true;
    for (size_t k = 0; k < kShape.size() && match; ++k) {
      const char c = line[i + k];
      match = kShape[k] == 'd' ? (c >= '0' && c <= '9') : c == kShape[k];
    }
    if (match) return line.substr(0, i) + "<ts>" + line.substr(i + kShape.size());
  }
  return line;
}

std::string Src(int line) {
  return "logging_test.cc:" + std::to_string(line);
}

TEST_F(LoggingTest, TextLineHasTimestampLevelSourceAndMessage) {
  const int line = __LINE__ + 1;
  CAIRN_LOG(INFO) << "hello " << 42;
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_EQ(MaskTimestamp(lines()[0]), "<ts> INFO " + Src(line) + " hello 42");
  EXPECT_EQ(sink_->levels[0], LogLevel::kInfo);
}

TEST_F(LoggingTest, DefaultMinimumIsInfo) {
  CAIRN_LOG(DEBUG) << "hidden";
  CAIRN_LOG(INFO) << "shown";
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_NE(lines()[0].find("shown"), std::string::npos);
}

TEST_F(LoggingTest, MinimumLevelFilters) {
  SetMinLogLevel(LogLevel::kWarn);
  EXPECT_EQ(MinLogLevel(), LogLevel::kWarn);
  EXPECT_FALSE(LogEnabled(LogLevel::kInfo));
  EXPECT_TRUE(LogEnabled(LogLevel::kWarn));
  CAIRN_LOG(DEBUG) << "d";
  CAIRN_LOG(INFO) << "i";
  CAIRN_LOG(WARN) << "w";
  CAIRN_LOG(ERROR) << "e";
  Log(LogLevel::kInfo, "fi");
  Log(LogLevel::kError, "fe");
  ASSERT_EQ(lines().size(), 3u);
  EXPECT_EQ(sink_->levels,
            (std::vector<LogLevel>{LogLevel::kWarn, LogLevel::kError, LogLevel::kError}));
  EXPECT_NE(lines()[0].find(" WARN "), std::string::npos);
  EXPECT_NE(lines()[1].find(" ERROR "), std::string::npos);

  SetMinLogLevel(LogLevel::kDebug);
  CAIRN_LOG(DEBUG) << "now visible";
  ASSERT_EQ(lines().size(), 4u);
  EXPECT_NE(lines()[3].find(" DEBUG "), std::string::npos);
}

TEST_F(LoggingTest, FilteredStreamArgumentsAreNotEvaluated) {
  int calls = 0;
  auto expensive = [&] {
    ++calls;
    return std::string("x");
  };
  CAIRN_LOG(DEBUG) << expensive();
  EXPECT_EQ(calls, 0);
  CAIRN_LOG(INFO) << expensive();
  EXPECT_EQ(calls, 1);
}

TEST_F(LoggingTest, RuntimeLevelAndUnbracedIfElse) {
  bool flag = false;
  // Must compile without -Wdangling-else and bind the else to the outer if.
  if (flag)
    CAIRN_LOG(INFO) << "then";
  else
    CAIRN_LOG_AT(LogLevel::kWarn) << "else";
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_NE(lines()[0].find(" WARN "), std::string::npos);
  EXPECT_NE(lines()[0].find("else"), std::string::npos);
}

TEST_F(LoggingTest, FunctionFormHasNoSource) {
  Log(LogLevel::kWarn, "plain");
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_EQ(MaskTimestamp(lines()[0]), "<ts> WARN plain");
}

TEST_F(LoggingTest, TextKeepsOneEventOnOneLine) {
  const int line = __LINE__ + 1;
  CAIRN_LOG(INFO) << "a\nb\r\nc";
  ASSERT_EQ(lines().size(), 1u);
  EXPECT_EQ(MaskTimestamp(lines()[0]), "<ts> INFO " + Src(line) + R"( a\nb\r\nc)");
}

TEST_F(LoggingTest, JsonLines) {
  SetLogFormat(LogFormat::kJson);
  EXPECT_EQ(GetLogFormat(), LogFormat::kJson);
  const int line = __LINE__ + 1;
  CAIRN_LOG(WARN) << "say \"hi\"\\ \n\t\x01\x7f caf\xc3\xa9";
  Log(LogLevel::kError, "bare");
  ASSERT_EQ(lines().size(), 2u);
  EXPECT_EQ(MaskTimestamp(lines()[0]), R"({"ts":"<ts>","level":"WARN","src":")" + Src(line) +
                                           R"(","msg":"say \"hi\"\\ \n\t\u0001\u007f caf)"
                                           "\xc3\xa9"
                                           R"("})");
  EXPECT_EQ(MaskTimestamp(lines()[1]), R"({"ts":"<ts>","level":"ERROR","msg":"bare"})");
}

TEST_F(LoggingTest, JsonReplacesInvalidUtf8) {
  SetLogFormat(LogFormat::kJson);
  // Lone continuation byte, overlong '/', UTF-16 surrogate, truncated 3-byte
  // sequence at the end; then a valid 4-byte emoji survives intact.
  Log(LogLevel::kInfo, "a\x80 b\xc0\xaf c\xed\xa0\x80 \xf0\x9f\x98\x80 d\xe2\x82");
  ASSERT_EQ(lines().size(), 1u);
  const std::string& l = lines()[0];
  EXPECT_NE(l.find(R"("msg":"a\ufffd b\ufffd\ufffd c\ufffd\ufffd\ufffd )"
                   "\xf0\x9f\x98\x80"
                   R"( d\ufffd\ufffd"})"),
            std::string::npos)
      << l;
}

TEST_F(LoggingTest, TimestampIsCurrentUtcWallTime) {
  Log(LogLevel::kInfo, "t");
  ASSERT_EQ(lines().size(), 1u);
  int y, mo, d, h, mi, s, us;
  ASSERT_EQ(std::sscanf(lines()[0].c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &us),
            7);
  using namespace std::chrono;
  const sys_days date = year{y} / month{static_cast<unsigned>(mo)} / day{static_cast<unsigned>(d)};
  const auto logged = date + hours{h} + minutes{mi} + seconds{s} + microseconds{us};
  const auto diff = system_clock::now() - logged;
  EXPECT_LT(std::chrono::abs(duration_cast<seconds>(diff)).count(), 60);
}

TEST_F(LoggingTest, ParseFlags) {
  LogFormat f = LogFormat::kText;
  EXPECT_TRUE(ParseLogFormat("json", &f));
  EXPECT_EQ(f, LogFormat::kJson);
  EXPECT_TRUE(ParseLogFormat("TEXT", &f));
  EXPECT_EQ(f, LogFormat::kText);
  EXPECT_FALSE(ParseLogFormat("yaml", &f));
  EXPECT_EQ(f, LogFormat::kText);

  LogLevel l = LogLevel::kInfo;
  EXPECT_TRUE(ParseLogLevel("debug", &l));
  EXPECT_EQ(l, LogLevel::kDebug);
  EXPECT_TRUE(ParseLogLevel("Warning", &l));
  EXPECT_EQ(l, LogLevel::kWarn);
  EXPECT_TRUE(ParseLogLevel("ERROR", &l));
  EXPECT_EQ(l, LogLevel::kError);
  EXPECT_FALSE(ParseLogLevel("loud", &l));
  EXPECT_EQ(l, LogLevel::kError);
  EXPECT_STREQ(LogLevelName(LogLevel::kWarn), "WARN");
}

// Returns the line number it logs from.
int LogFromThread(int t, int i) {
  CAIRN_LOG(INFO) << "thread=" << t << " i=" << i;
  return __LINE__ - 1;
}

TEST_F(LoggingTest, ConcurrentLinesStayWhole) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < kPerThread; ++i)
        LogFromThread(t, i);
    });
  }
  for (auto& th : threads)
    th.join();
  ASSERT_EQ(lines().size(), static_cast<size_t>(kThreads * kPerThread));
  const int line = LogFromThread(-1, -1);
  std::set<std::string> expected = {"<ts> INFO " + Src(line) + " thread=-1 i=-1"};
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      expected.insert("<ts> INFO " + Src(line) + " thread=" + std::to_string(t) +
                      " i=" + std::to_string(i));
    }
  }
  std::set<std::string> got;
  for (const auto& l : lines())
    got.insert(MaskTimestamp(l));
  EXPECT_EQ(got, expected);
}

TEST_F(LoggingTest, PassingCheckIsSilentAndEvaluatesOnce) {
  int evaluations = 0;
  CAIRN_CHECK(++evaluations == 1) << "never built";
  EXPECT_EQ(evaluations, 1);
  EXPECT_TRUE(lines().empty());
}

TEST(CheckDeathTest, FailingCheckPrintsLocationAndConditionAndAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const int term = 3;
  EXPECT_DEATH(CAIRN_CHECK(term + 1 == 3) << "term=" << term,
               R"(ERROR logging_test\.cc:[0-9]+ CHECK failed: term \+ 1 == 3: term=3)");
  EXPECT_DEATH(CAIRN_CHECK(false), "logging_test\\.cc:[0-9]+ CHECK failed: false\n");
}

TEST(CheckDeathTest, ReachesStderrEvenWithACustomSinkAndHighMinimum) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        SetLogSink(std::make_shared<CapturingSink>());
        SetMinLogLevel(LogLevel::kError);
        SetLogFormat(LogFormat::kJson);
        CAIRN_CHECK(1 > 2);
      },
      R"("msg":"CHECK failed: 1 > 2")");
}

}  // namespace
}  // namespace cairn
