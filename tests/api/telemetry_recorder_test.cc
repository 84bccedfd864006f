// The per-second telemetry the dashboard draws and the doctor judges from,
// fed with made-up readings.
#include "api/telemetry_recorder.h"

#include <gtest/gtest.h>

#include "api/grpc_metrics.h"

namespace cairn::api {
namespace {

class TelemetryRecorderTest : public ::testing::Test {
 protected:
  // One reading `s` seconds in, with the histograms as they are now.
  TelemetryReading At(int s, uint64_t requests, uint64_t term = 2, uint64_t leader = 7) {
    TelemetryReading r;
    r.unix_ms = 1'700'000'000'000 + s * 1000;
    r.steady_ms = s * 1000;
    r.requests = requests;
    r.request_seconds = requests_->snapshot();
    r.fsync_seconds = fsyncs_->snapshot();
    r.commit = 100 + static_cast<uint64_t>(s);
    r.applied = 98 + static_cast<uint64_t>(s);
    r.term = term;
    r.leader = leader;
    r.is_leader = leader == 7;
    return r;
  }
  metrics::Registry registry_;
  metrics::Histogram* requests_ = registry_.AddHistogram("r", "r", {0.001, 0.01, 0.1, 1});
  metrics::Histogram* fsyncs_ = registry_.AddHistogram("f", "f", {0.001, 0.01, 0.1, 1});
  TelemetryRecorder recorder_;
};

TEST_F(TelemetryRecorderTest, EachSampleHoldsTheRatesAndQuantilesOfItsOwnSecond) {
  recorder_.Record(At(0, 0));
  EXPECT_TRUE(recorder_.History(10).empty()) << "one reading has no second behind it";
  for (int i = 0; i < 50; ++i)
    requests_->Observe(0.005);
  fsyncs_->Observe(0.002);
  recorder_.Record(At(1, 50));
  for (int i = 0; i < 10; ++i)
    requests_->Observe(0.5);
  recorder_.Record(At(3, 60));  // two seconds later: a rate per second

  std::vector<cairnpb::TelemetrySample> h = recorder_.History(10);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].requests_per_second(), 50);
  EXPECT_GT(h[0].request_p99_seconds(), 0.001);
  EXPECT_LE(h[0].request_p99_seconds(), 0.01);
  EXPECT_GT(h[0].fsync_p99_seconds(), 0.001);
  EXPECT_EQ(h[0].apply_lag(), 2u);
  EXPECT_EQ(h[1].requests_per_second(), 5);
  EXPECT_GT(h[1].request_p50_seconds(), 0.1) << "only the slow second's calls";
  EXPECT_EQ(h[1].fsync_p99_seconds(), 0) << "no sync in that second";
  EXPECT_EQ(h[1].unix_ms(), 1'700'000'003'000);
  EXPECT_EQ(recorder_.History(1).size(), 1u);
  EXPECT_EQ(recorder_.History(1)[0].unix_ms(), h[1].unix_ms()) << "the newest";

  TelemetryRecorder::Window w = recorder_.LastMinute();
  EXPECT_EQ(w.fsyncs, 1u);
  EXPECT_GT(w.request_p99_seconds, 0.1);
}

TEST_F(TelemetryRecorderTest, AWallClockJumpDoesNotBendTheRates) {
  recorder_.Record(At(0, 0));
  TelemetryReading r = At(1, 10);
  r.unix_ms -= 60'000;  // the clock went back a minute
  recorder_.Record(r);
  EXPECT_EQ(recorder_.History(1)[0].requests_per_second(), 10);
}

TEST_F(TelemetryRecorderTest, LeaderChangesAreRecordedOncePerTermAndLeader) {
  recorder_.Record(At(0, 0, 2, 7));
  recorder_.Record(At(1, 0, 2, 7));
  recorder_.Record(At(2, 0, 3, 0));  // an election under way
  recorder_.Record(At(3, 0, 3, 9));
  std::vector<cairnpb::LeaderChangeEvent> c = recorder_.LeaderChanges();
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].leader(), 7u);
  EXPECT_EQ(c[1].leader(), 0u);
  EXPECT_EQ(c[2].term(), 3u);
  EXPECT_EQ(c[2].leader(), 9u);
  EXPECT_EQ(c[2].unix_ms(), 1'700'000'003'000);
}

TEST_F(TelemetryRecorderTest, HistoryAndTheMinuteWindowAreBounded) {
  for (int s = 0; s < 400; ++s) {
    fsyncs_->Observe(s < 300 ? 0.5 : 0.002);
    recorder_.Record(At(s, 0));
  }
  EXPECT_EQ(recorder_.History(1000).size(), TelemetryRecorder::kMaxHistory);
  // The slow syncs were more than a minute ago.
  EXPECT_LT(recorder_.LastMinute().fsync_p99_seconds, 0.01);
  EXPECT_EQ(recorder_.LastMinute().fsyncs, TelemetryRecorder::kWindow);
}

TEST(GrpcMetricsTotals, CountUnaryCallsOfEveryCodeAndLeaveStreamsOut) {
  metrics::Registry registry;
  GrpcMetrics m(&registry, {"etcdserverpb.KV", "etcdserverpb.Watch"});
  GrpcMetrics::Method* range = m.Find("/etcdserverpb.KV/Range");
  GrpcMetrics::Method* put = m.Find("/etcdserverpb.KV/Put");
  GrpcMetrics::Method* watch = m.Find("/etcdserverpb.Watch/Watch");
  ASSERT_NE(range, nullptr);
  ASSERT_NE(watch, nullptr);
  m.Handled(range, 0)->Add(3);
  m.Handled(put, 14)->Add();  // Unavailable
  range->handling->Observe(0.002);
  m.Handled(watch, 1)->Add(5);
  watch->handling->Observe(3600);
  GrpcMetrics::Totals t = m.UnaryTotals();
  EXPECT_EQ(t.completed, 4u);
  EXPECT_EQ(t.handling.count, 1u) << "the watch's hour is not a request latency";
}

}  // namespace
}  // namespace cairn::api
