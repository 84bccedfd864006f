// cairn-bench's latency histogram and flag checks.
#include "bench/load/histogram.h"

#include <gtest/gtest.h>

#include <random>

#include "bench/load/options.h"

namespace cairn::bench {
namespace {

TEST(Histogram, SmallValuesAreExact) {
  Histogram h;
  for (int64_t v = 0; v < 256; ++v)
    h.Record(v);
  EXPECT_EQ(h.count(), 256u);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 255);
  EXPECT_EQ(h.Quantile(0.5), 127);
  EXPECT_EQ(h.Quantile(1.0), 255);
}

TEST(Histogram, EveryValueIsReportedWithinOnePercentAbove) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 100000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % (int64_t{1} << 40));
    const int64_t reported = Histogram::HighestEquivalent(Histogram::BucketOf(v));
    ASSERT_GE(reported, v);
    ASSERT_LE(reported - v, v / 128 + 1) << v;
  }
  // Buckets grow with the value.
  for (int64_t v = 1; v < (int64_t{1} << 30); v = v * 3 + 1)
    ASSERT_LE(Histogram::BucketOf(v - 1), Histogram::BucketOf(v));
}

TEST(Histogram, QuantilesOfAUniformSpread) {
  Histogram h;
  for (int64_t us = 1; us <= 100000; ++us)
    h.Record(us * 1000);  // 1 us .. 100 ms
  EXPECT_NEAR(h.Quantile(0.5), 50000000, 50000000 / 100);
  EXPECT_NEAR(h.Quantile(0.99), 99000000, 99000000 / 100);
  EXPECT_NEAR(h.Quantile(0.999), 99900000, 99900000 / 100);
  EXPECT_EQ(h.max(), 100000000);
  EXPECT_EQ(h.min(), 1000);
  EXPECT_DOUBLE_EQ(h.mean(), 50000500.0);
  EXPECT_LE(h.Quantile(1.0), h.max());
}

TEST(Histogram, MergeEqualsRecordingEverythingInOne) {
  Histogram a, b, all;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 10000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % 50000000);
    (i % 2 ? a : b).Record(v);
    all.Record(v);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  for (double q : {0.1, 0.5, 0.9, 0.99, 0.999})
    EXPECT_EQ(a.Quantile(q), all.Quantile(q)) << q;
}

TEST(Histogram, EmptyReportsZero) {
  Histogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Quantile(0.99), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0);
}

TEST(BenchOptions, AKeyTooShortForTheKeySpaceIsRefused) {
  Options o;
  o.workload = "put";
  o.key_size = 4;
  o.key_space_size = 100000;
  Status s = Validate(o);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs 5 bytes"), std::string::npos) << s.message();
  o.key_size = 5;
  EXPECT_TRUE(Validate(o).ok());
  EXPECT_EQ(o.total, 10000u);  // neither --total nor --duration: etcd's default
}

}  // namespace
}  // namespace cairn::bench
