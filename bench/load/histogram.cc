#include "bench/load/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cairn::bench {
namespace {

constexpr int kSubBits = 7;
constexpr int kSubBuckets = 1 << kSubBits;  // 128 per power of two
// Values up to 2^62 ns (146 years) have a bucket; larger ones are clamped.
constexpr int kGroups = 62 - kSubBits;
constexpr int kBuckets = (kGroups + 1) * kSubBuckets + kSubBuckets;

// The group of v: 0 for v < 256 (exact), else how far v must be shifted
// right to leave its top 8 bits, which index the group's sub-bucket.
int GroupOf(uint64_t v) {
  int width = std::bit_width(v);
  return std::max(0, width - (kSubBits + 1));
}

}  // namespace

Histogram::Histogram() : buckets_(kBuckets, 0) {}

int Histogram::BucketOf(int64_t nanos) {
  uint64_t v = nanos < 0 ? 0 : static_cast<uint64_t>(nanos);
  int group = GroupOf(v);
  int index = group * kSubBuckets + static_cast<int>(v >> group);
  return std::min(index, kBuckets - 1);
}

int64_t Histogram::HighestEquivalent(int bucket) {
  if (bucket < 2 * kSubBuckets) return bucket;
  int group = bucket / kSubBuckets - 1;
  uint64_t sub = static_cast<uint64_t>(bucket - group * kSubBuckets);
  return static_cast<int64_t>(((sub + 1) << group) - 1);
}

void Histogram::Record(int64_t nanos) {
  if (nanos < 0) nanos = 0;
  buckets_[BucketOf(nanos)]++;
  if (count_ == 0 || nanos < min_) min_ = nanos;
  max_ = std::max(max_, nanos);
  count_++;
  sum_ += nanos;
}

void Histogram::Merge(const Histogram& other) {
  if (other.count_ == 0) return;
  for (size_t i = 0; i < buckets_.size(); ++i)
    buckets_[i] += other.buckets_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  count_ += other.count_;
  sum_ += other.sum_;
}

int64_t Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  // The rank of the value at q, counting from 1 (q = 0 is the minimum).
  uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) return std::min(HighestEquivalent(static_cast<int>(i)), max_);
  }
  return max_;
}

}  // namespace cairn::bench
