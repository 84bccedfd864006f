#pragma once

#include <cstdint>
#include <vector>

namespace cairn::bench {

// Latencies in nanoseconds, HdrHistogram-style: exact below 256 ns, then
// 128 linear sub-buckets per power of two, so every recorded value is
// reported within 0.8% of itself. Recording is O(1) with no allocation;
// one histogram per client, merged at the end (no locks on the hot path).
class Histogram {
 public:
  Histogram();

  void Record(int64_t nanos);
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0 : static_cast<double>(sum_) / count_; }
  // The highest value equivalent to the one at quantile q (0 <= q <= 1),
  // never above max().
  int64_t Quantile(double q) const;

  static int BucketOf(int64_t nanos);
  static int64_t HighestEquivalent(int bucket);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  __int128 sum_ = 0;
};

}  // namespace cairn::bench
