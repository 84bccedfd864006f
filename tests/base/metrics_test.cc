#include "base/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace cairn::metrics {
namespace {

TEST(Metrics, RendersTheTextExpositionFormat) {
  Registry r;
  Counter* c = r.AddCounter("cairn_things_total", "Things done.");
  Gauge* g = r.AddGauge("cairn_level", "A level.");
  Family<Counter>* calls = r.AddCounterFamily("cairn_calls_total", "Calls.", {"method", "code"});
  r.AddGaugeFunction("cairn_read_at_scrape", "Read when scraped.", [] { return 2.5; });
  c->Add(3);
  g->Set(-7);
  calls->With({"Range", "OK"})->Add(2);
  calls->With({"Put", "Unavailable"})->Add();
  EXPECT_EQ(r.Render(),
            "# HELP cairn_things_total Things done.\n"
            "# TYPE cairn_things_total counter\n"
            "cairn_things_total 3\n"
            "# HELP cairn_level A level.\n"
            "# TYPE cairn_level gauge\n"
            "cairn_level -7\n"
            "# HELP cairn_calls_total Calls.\n"
            "# TYPE cairn_calls_total counter\n"
            "cairn_calls_total{method=\"Put\",code=\"Unavailable\"} 1\n"
            "cairn_calls_total{method=\"Range\",code=\"OK\"} 2\n"
            "# HELP cairn_read_at_scrape Read when scraped.\n"
            "# TYPE cairn_read_at_scrape gauge\n"
            "cairn_read_at_scrape 2.5\n");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithSumAndCount) {
  Registry r;
  Histogram* h = r.AddHistogram("cairn_wait_seconds", "Waits.", {0.001, 0.01, 0.1});
  for (double v : {0.0005, 0.001, 0.002, 0.05, 3.0})
    h->Observe(v);
  std::string text = r.Render();
  EXPECT_NE(text.find("cairn_wait_seconds_bucket{le=\"0.001\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cairn_wait_seconds_bucket{le=\"0.01\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cairn_wait_seconds_bucket{le=\"0.1\"} 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("cairn_wait_seconds_bucket{le=\"+Inf\"} 5\n"), std::string::npos) << text;
  size_t sum_at = text.find("cairn_wait_seconds_sum ");
  ASSERT_NE(sum_at, std::string::npos) << text;
  EXPECT_NEAR(std::stod(text.substr(sum_at + 23)), 3.0535, 1e-12);
  EXPECT_NE(text.find("cairn_wait_seconds_count 5\n"), std::string::npos) << text;
}

TEST(Metrics, ConcurrentUpdatesAreAllCounted) {
  Registry r;
  Counter* c = r.AddCounter("cairn_n_total", "n");
  Histogram* h = r.AddHistogram("cairn_h", "h", ExponentialBuckets(1, 2, 4));
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c->Add();
        h->Observe(1);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(c->value(), 40000u);
  Histogram::Snapshot s = h->snapshot();
  EXPECT_EQ(s.count, 40000u);
  EXPECT_DOUBLE_EQ(s.sum, 40000.0);
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(FormatValue(1e20), "1e+20");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(123456.789012), "123456.789012");
  EXPECT_EQ(ExponentialBuckets(0.001, 2, 3), (std::vector<double>{0.001, 0.002, 0.004}));
}

TEST(Metrics, QuantileInterpolatesInsideTheBucketAsPrometheusDoes) {
  Registry r;
  Histogram* h = r.AddHistogram("cairn_q", "q", {0.001, 0.01, 0.1, 1});
  EXPECT_EQ(QuantileBetween({}, h->snapshot(), 0.99), 0) << "nothing observed";
  for (int i = 0; i < 90; ++i)
    h->Observe(0.005);
  Histogram::Snapshot first = h->snapshot();
  for (int i = 0; i < 10; ++i)
    h->Observe(0.5);
  Histogram::Snapshot second = h->snapshot();
  // 50th of 90 in (0.001, 0.01]; 99th is the 9th of 10 in (0.1, 1].
  EXPECT_NEAR(QuantileBetween({}, second, 0.5), 0.001 + 0.009 * 50 / 90, 1e-12);
  EXPECT_NEAR(QuantileBetween({}, second, 0.99), 0.1 + 0.9 * 9 / 10, 1e-12);
  // Between the snapshots only the ten slow ones count.
  EXPECT_NEAR(QuantileBetween(first, second, 0.5), 0.1 + 0.9 * 5 / 10, 1e-12);
  EXPECT_EQ(QuantileBetween(second, second, 0.5), 0) << "nothing new";
  h->Observe(50);  // +Inf bucket
  Histogram::Snapshot third = h->snapshot();
  EXPECT_EQ(QuantileBetween(second, third, 0.99), 1) << "the highest finite bound";
}

TEST(Metrics, AccumulateAddsSnapshotsOfTheSameBuckets) {
  Registry r;
  Histogram* a = r.AddHistogram("cairn_a", "a", {1, 10});
  Histogram* b = r.AddHistogram("cairn_b", "b", {1, 10});
  a->Observe(0.5);
  b->Observe(5);
  b->Observe(50);
  Histogram::Snapshot sum;
  Accumulate(&sum, a->snapshot());
  Accumulate(&sum, b->snapshot());
  EXPECT_EQ(sum.cumulative, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(sum.count, 3u);
  EXPECT_DOUBLE_EQ(sum.sum, 55.5);
}

TEST(Metrics, LabeledCounterFunctionsAreReadAtScrapeTime) {
  Registry r;
  Registry::LabeledValues peers = {{"a1", 10}};
  r.AddLabeledCounterFunction("cairn_peer_bytes_total", "Bytes.", "To", [&] { return peers; });
  EXPECT_NE(r.Render().find("cairn_peer_bytes_total{To=\"a1\"} 10\n"), std::string::npos);
  peers = {{"a1", 12}, {"b\"2", 3}};
  const std::string text = r.Render();
  EXPECT_NE(text.find("cairn_peer_bytes_total{To=\"a1\"} 12\n"), std::string::npos);
  EXPECT_NE(text.find("cairn_peer_bytes_total{To=\"b\\\"2\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE cairn_peer_bytes_total counter\n"), std::string::npos);
}

}  // namespace
}  // namespace cairn::metrics
