#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace cairn::metrics {

// Metrics in Prometheus's model, cheap enough for hot paths: a counter or
// gauge is one atomic, a histogram one atomic per bucket. Families are
// registered once; their label values must come from small fixed sets
// (method names, status codes), never from user data.

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { bits_.store(Bits(v), std::memory_order_relaxed); }
  double value() const { return Value(bits_.load(std::memory_order_relaxed)); }

 private:
  static uint64_t Bits(double v);
  static double Value(uint64_t bits);
  std::atomic<uint64_t> bits_{0};
};

class Histogram {
 public:
  // `bounds`: increasing upper bounds of the buckets (+Inf is implied).
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1
  std::atomic<uint64_t> sum_bits_{0};
};

// Bucket bounds 2^k * start for k = 0..count-1 (Prometheus's
// ExponentialBuckets(start, 2, count), which etcd uses for its disk
// histograms).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// Adds `more` (a snapshot of a histogram with the same bounds) into `sum`;
// an empty `sum` takes `more`'s bounds.
void Accumulate(Histogram::Snapshot* sum, const Histogram::Snapshot& more);

// The q-quantile of what a histogram observed between two of its snapshots
// (`earlier` may be empty: from the start), interpolating linearly inside
// the bucket that holds it, as Prometheus's histogram_quantile does. 0 when
// nothing was observed; the highest finite bound when the quantile falls in
// the +Inf bucket.
double QuantileBetween(const Histogram::Snapshot& earlier, const Histogram::Snapshot& later,
                       double q);

enum class Type { kCounter, kGauge, kHistogram };

// A named metric with fixed label names; children per label values.
template <typename Metric>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Metric>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}
  // The child for these label values (one per label name), created on first
  // use. The pointer stays valid for the registry's lifetime: look it up
  // once and keep it off the hot path where possible.
  Metric* With(const std::vector<std::string>& values) {
    std::lock_guard<std::mutex> lock(mu_);
    std::unique_ptr<Metric>& m = children_[values];
    if (!m) m = make_();
    return m.get();
  }
  const std::vector<std::string>& label_names() const { return label_names_; }
  template <typename Fn>
  void ForEach(Fn fn) const {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [values, metric] : children_)
      fn(values, *metric);
  }

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Metric>()> make_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Metric>> children_;
};

class Registry {
 public:
  Counter* AddCounter(const std::string& name, const std::string& help);
  Gauge* AddGauge(const std::string& name, const std::string& help);
  Histogram* AddHistogram(const std::string& name, const std::string& help,
                          std::vector<double> bounds);
  Family<Counter>* AddCounterFamily(const std::string& name, const std::string& help,
                                    std::vector<std::string> labels);
  Family<Histogram>* AddHistogramFamily(const std::string& name, const std::string& help,
                                        std::vector<std::string> labels,
                                        std::vector<double> bounds);
  // A value read at scrape time (indexes, sizes, process figures), so that
  // nothing on the hot path keeps it up to date.
  void AddGaugeFunction(const std::string& name, const std::string& help,
                        std::function<double()> read);
  void AddCounterFunction(const std::string& name, const std::string& help,
                          std::function<double()> read);
  // Counters with one label whose values are read at scrape time, e.g. per
  // peer: `read` returns (label value, count) pairs from a bounded set.
  using LabeledValues = std::vector<std::pair<std::string, double>>;
  void AddLabeledCounterFunction(const std::string& name, const std::string& help,
                                 const std::string& label, std::function<LabeledValues()> read);

  // Prometheus text exposition format 0.0.4, families in registration order.
  std::string Render() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    Type type;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
    std::function<double()> read;
    std::string label;
    std::function<LabeledValues()> read_labeled;
  };
  Entry& Add(const std::string& name, const std::string& help, Type type);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

// "a\"b" for a label value: backslash, double quote and newline escaped.
std::string EscapeLabelValue(const std::string& value);
// A number as Prometheus writes it: integers without a fraction, +Inf, NaN.
std::string FormatValue(double value);

}  // namespace cairn::metrics
