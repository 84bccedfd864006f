// The slow-request log: one line a second at most, counting what it held back.
#include "cluster/slow_requests.h"

#include <gtest/gtest.h>

#include <vector>

namespace cairn::cluster {
namespace {

using namespace std::chrono_literals;

TEST(SlowRequests, OnlyRequestsAtOrOverTheThresholdAreSlow) {
  SlowRequests slow(100ms, [](const std::string&) {});
  EXPECT_FALSE(slow.IsSlow(99ms));
  EXPECT_TRUE(slow.IsSlow(100ms));
}

TEST(SlowRequests, AtMostOneLineASecondAndTheNextCountsTheRest) {
  std::vector<std::string> lines;
  SlowRequests slow(100ms, [&](const std::string& l) { lines.push_back(l); });
  const auto t0 = SlowRequests::Clock::time_point{} + 1000s;
  slow.Report("slow write at index 7: 1.20 s", t0);
  slow.Report("slow write at index 8", t0 + 100ms);
  slow.Report("slow write at index 9", t0 + 900ms);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "slow write at index 7: 1.20 s (over 100 ms)");
  slow.Report("slow linearizable read: 300 ms", t0 + 1000ms);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1],
            "slow linearizable read: 300 ms (over 100 ms); 2 more slow request(s) since the "
            "last such line");
}

TEST(SlowRequests, MillisReadsLikeAPerson) {
  EXPECT_EQ(Millis(140ms), "140 ms");
  EXPECT_EQ(Millis(1230ms), "1.23 s");
}

}  // namespace
}  // namespace cairn::cluster
