#include "base/metrics.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "base/logging.h"

namespace cairn::metrics {

uint64_t Gauge::Bits(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}

double Gauge::Value(uint64_t bits) {
  double v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 1; i < bounds_.size(); ++i)
    CAIRN_CHECK(bounds_[i - 1] < bounds_[i]);
  for (size_t i = 0; i <= bounds_.size(); ++i)
    counts_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i])
    ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  // The sum as a double in an atomic word: compare-and-swap until it lands.
  uint64_t old_bits = sum_bits_.load(std::memory_order_relaxed);
  for (;;) {
    double old_sum;
    std::memcpy(&old_sum, &old_bits, sizeof old_sum);
    double new_sum = old_sum + value;
    uint64_t new_bits;
    std::memcpy(&new_bits, &new_sum, sizeof new_bits);
    if (sum_bits_.compare_exchange_weak(old_bits, new_bits, std::memory_order_relaxed)) break;
  }
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative.push_back(running);
  }
  uint64_t bits = sum_bits_.load(std::memory_order_relaxed);
  std::memcpy(&s.sum, &bits, sizeof s.sum);
  // The +Inf bucket is the count, so the two always agree in one scrape.
  s.count = running;
  return s;
}

void Accumulate(Histogram::Snapshot* sum, const Histogram::Snapshot& more) {
  if (sum->cumulative.empty()) {
    *sum = more;
    return;
  }
  CAIRN_CHECK(sum->bounds == more.bounds) << "histograms with different buckets";
  for (size_t i = 0; i < sum->cumulative.size(); ++i)
    sum->cumulative[i] += more.cumulative[i];
  sum->sum += more.sum;
  sum->count += more.count;
}

double QuantileBetween(const Histogram::Snapshot& earlier, const Histogram::Snapshot& later,
                       double q) {
  auto before = [&](size_t i) { return earlier.cumulative.empty() ? 0 : earlier.cumulative[i]; };
  if (later.cumulative.empty()) return 0;
  const uint64_t total = later.cumulative.back() - before(later.cumulative.size() - 1);
  if (total == 0) return 0;
  const double rank = q * static_cast<double>(total);
  for (size_t i = 0; i < later.bounds.size(); ++i) {
    const double upto = static_cast<double>(later.cumulative[i] - before(i));
    if (upto < rank) continue;
    const double below = i == 0 ? 0 : static_cast<double>(later.cumulative[i - 1] - before(i - 1));
    const double lower = i == 0 ? 0 : later.bounds[i - 1];
    const double in_bucket = upto - below;
    if (in_bucket <= 0) return lower;
    return lower + (later.bounds[i] - lower) * (rank - below) / in_bucket;
  }
  return later.bounds.empty() ? 0 : later.bounds.back();
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor)
    out.push_back(v);
  return out;
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  // The shortest form that reads back as the same double: exact, and
  // bucket bounds still print as 0.001, 0.002, ...
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, ec == std::errc() ? end : buf);
}

Registry::Entry& Registry::Add(const std::string& name, const std::string& help, Type type) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& e : entries_)
    CAIRN_CHECK(e->name != name) << "metric " << name << " twice";
  entries_.push_back(std::make_unique<Entry>());
  Entry& e = *entries_.back();
  e.name = name;
  e.help = help;
  e.type = type;
  return e;
}

Counter* Registry::AddCounter(const std::string& name, const std::string& help) {
  return AddCounterFamily(name, help, {})->With({});
}

Gauge* Registry::AddGauge(const std::string& name, const std::string& help) {
  Entry& e = Add(name, help, Type::kGauge);
  e.gauges = std::make_unique<Family<Gauge>>(std::vector<std::string>{},
                                             [] { return std::make_unique<Gauge>(); });
  return e.gauges->With({});
}

Histogram* Registry::AddHistogram(const std::string& name, const std::string& help,
                                  std::vector<double> bounds) {
  return AddHistogramFamily(name, help, {}, std::move(bounds))->With({});
}

Family<Counter>* Registry::AddCounterFamily(const std::string& name, const std::string& help,
                                            std::vector<std::string> labels) {
  Entry& e = Add(name, help, Type::kCounter);
  e.counters = std::make_unique<Family<Counter>>(std::move(labels),
                                                 [] { return std::make_unique<Counter>(); });
  return e.counters.get();
}

Family<Histogram>* Registry::AddHistogramFamily(const std::string& name, const std::string& help,
                                                std::vector<std::string> labels,
                                                std::vector<double> bounds) {
  Entry& e = Add(name, help, Type::kHistogram);
  e.histograms = std::make_unique<Family<Histogram>>(
      std::move(labels), [bounds] { return std::make_unique<Histogram>(bounds); });
  return e.histograms.get();
}

void Registry::AddGaugeFunction(const std::string& name, const std::string& help,
                                std::function<double()> read) {
  Add(name, help, Type::kGauge).read = std::move(read);
}

void Registry::AddCounterFunction(const std::string& name, const std::string& help,
                                  std::function<double()> read) {
  Add(name, help, Type::kCounter).read = std::move(read);
}

void Registry::AddLabeledCounterFunction(const std::string& name, const std::string& help,
                                         const std::string& label,
                                         std::function<LabeledValues()> read) {
  Entry& e = Add(name, help, Type::kCounter);
  e.label = label;
  e.read_labeled = std::move(read);
}

namespace {

std::string Labels(const std::vector<std::string>& names, const std::vector<std::string>& values,
                   const std::string& extra_name = "", const std::string& extra_value = "") {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out += out.empty() ? "{" : ",";
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    out += out.empty() ? "{" : ",";
    out += extra_name + "=\"" + extra_value + "\"";
  }
  if (!out.empty()) out += "}";
  return out;
}

const char* TypeName(Type t) {
  switch (t) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& e : entries_) {
    out += "# HELP " + e->name + " " + e->help + "\n";
    out += "# TYPE " + e->name + " " + TypeName(e->type) + "\n";
    if (e->read) {
      out += e->name + " " + FormatValue(e->read()) + "\n";
    } else if (e->read_labeled) {
      for (const auto& [value, count] : e->read_labeled())
        out += e->name + Labels({e->label}, {value}) + " " + FormatValue(count) + "\n";
    } else if (e->counters) {
      e->counters->ForEach([&](const std::vector<std::string>& values, const Counter& c) {
        out += e->name + Labels(e->counters->label_names(), values) + " " +
               FormatValue(static_cast<double>(c.value())) + "\n";
      });
    } else if (e->gauges) {
      e->gauges->ForEach([&](const std::vector<std::string>& values, const Gauge& g) {
        out += e->name + Labels(e->gauges->label_names(), values) + " " + FormatValue(g.value()) +
               "\n";
      });
    } else if (e->histograms) {
      e->histograms->ForEach([&](const std::vector<std::string>& values, const Histogram& h) {
        Histogram::Snapshot s = h.snapshot();
        const auto& names = e->histograms->label_names();
        for (size_t i = 0; i <= s.bounds.size(); ++i) {
          std::string le = i < s.bounds.size() ? FormatValue(s.bounds[i]) : "+Inf";
          out += e->name + "_bucket" + Labels(names, values, "le", le) + " " +
                 FormatValue(static_cast<double>(s.cumulative[i])) + "\n";
        }
        out += e->name + "_sum" + Labels(names, values) + " " + FormatValue(s.sum) + "\n";
        out += e->name + "_count" + Labels(names, values) + " " +
               FormatValue(static_cast<double>(s.count)) + "\n";
      });
    }
  }
  return out;
}

}  // namespace cairn::metrics
