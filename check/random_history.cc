#include "check/random_history.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

namespace cairn::check {
namespace {

OpKind PickKind(const RandomHistoryOptions& o, Random& rng) {
  const double x = static_cast<double>(rng.Next() >> 11) * 0x1.0p-53;
  if (x < o.put_fraction) return OpKind::kPut;
  if (x < o.put_fraction + o.delete_fraction) return OpKind::kDelete;
  if (x < o.put_fraction + o.delete_fraction + o.cas_fraction) return OpKind::kCas;
  return OpKind::kGet;
}

void Apply(std::map<std::string, std::string>& store, Operation& op) {
  auto it = store.find(op.key);
  switch (op.kind) {
    case OpKind::kGet:
      op.found = it != store.end();
      op.output = op.found ? it->second : "";
      break;
    case OpKind::kPut:
      store[op.key] = op.value;
      break;
    case OpKind::kDelete:
      if (it != store.end()) store.erase(it);
      break;
    case OpKind::kCas:
      op.cas_ok = it != store.end() && it->second == op.expected;
      if (op.cas_ok) it->second = op.value;
      break;
  }
}

}  // namespace

History RandomLinearizableHistory(const RandomHistoryOptions& o, Random& rng) {
  History history;
  std::vector<std::optional<int64_t>> effect;  // per op; nullopt: never took effect
  std::vector<int64_t> free_at(o.clients, 0);
  // Values written to each key so far, so cas usually expects a recent one.
  std::vector<std::vector<std::string>> written(o.keys);
  int64_t next_value = 0;
  const auto latency = [&] { return static_cast<int64_t>(rng.Between(0, o.max_latency)); };

  for (int n = 0; n < o.ops; ++n) {
    const int client =
        static_cast<int>(std::min_element(free_at.begin(), free_at.end()) - free_at.begin());
    const int key = static_cast<int>(rng.Uniform(o.keys));
    Operation op;
    op.client = client;
    op.kind = PickKind(o, rng);
    op.key = "k" + std::to_string(key);
    if (op.kind == OpKind::kPut || op.kind == OpKind::kCas) {
      op.value = "v" + std::to_string(next_value++);
    }
    if (op.kind == OpKind::kCas) {
      const auto& w = written[key];
      op.expected = w.empty() || rng.Chance(0.1)
                        ? "v" + std::to_string(rng.Uniform(next_value))
                        : w[w.size() - 1 - rng.Uniform(std::min<size_t>(w.size(), 3))];
    }
    if (!op.value.empty()) written[key].push_back(op.value);
    op.call = free_at[client];
    op.known = !rng.Chance(o.unknown_fraction);
    if (op.known) {
      const int64_t at = op.call + latency();
      op.ret = at + latency();
      effect.push_back(at);
      free_at[client] = op.ret;
    } else {
      // The client gives up; the op may still land long after.
      op.ret = op.call + 2 * o.max_latency;
      effect.push_back(rng.Chance(0.5) ? std::optional<int64_t>(op.call + 4 * latency())
                                       : std::nullopt);
      free_at[client] = op.ret;
    }
    free_at[client] += static_cast<int64_t>(rng.Between(0, o.max_think));
    history.push_back(std::move(op));
  }

  std::vector<std::pair<int64_t, size_t>> order;
  for (size_t i = 0; i < history.size(); ++i) {
    if (effect[i]) order.emplace_back(*effect[i], i);
  }
  std::sort(order.begin(), order.end());
  std::map<std::string, std::string> store;
  for (const auto& [at, i] : order)
    Apply(store, history[i]);
  return history;
}

}  // namespace cairn::check
