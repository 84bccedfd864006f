// Progress lines for long transfers, driven with made-up time.
#include "base/progress.h"

#include <gtest/gtest.h>

#include <vector>

namespace cairn {
namespace {

using namespace std::chrono_literals;
constexpr uint64_t kMiB = 1 << 20;

TEST(Progress, OneLineASecondWithRateAndTimeLeftThenASummary) {
  std::vector<std::string> lines;
  const auto t0 = Progress::Clock::time_point{} + 100s;
  Progress p(
      "snapshot save", 40 * kMiB, [&](const std::string& l) { lines.push_back(l); }, t0);
  p.Update(4 * kMiB, t0 + 500ms);
  EXPECT_TRUE(lines.empty()) << "not a second yet";
  p.Update(8 * kMiB, t0 + 1s);
  p.Update(9 * kMiB, t0 + 1500ms);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(p.lines(), 1);
  EXPECT_EQ(lines[0], "snapshot save: 8.0 of 40.0 MiB (20%), 8.0 MiB/s, about 4 s left");
  p.Finish(40 * kMiB, t0 + 5s);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "snapshot save: 40.0 MiB in 5.0 s (8.0 MiB/s)");
}

TEST(Progress, AnUnknownTotalShowsBytesAndRateOnly) {
  const auto t0 = Progress::Clock::time_point{} + 100s;
  Progress p(
      "restore", 0, [](const std::string&) {}, t0);
  EXPECT_EQ(p.Line(3 * kMiB, t0 + 2s), "restore: 3.0 MiB, 1.5 MiB/s");
}

}  // namespace
}  // namespace cairn
