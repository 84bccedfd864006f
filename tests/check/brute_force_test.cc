// Cross-checks the checker against an exhaustive reference on tiny histories,
// half of them corrupted, so that every pruning rule is held to the
// definition of linearizability.
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "base/random.h"
#include "check/linearizability.h"
#include "check/random_history.h"

namespace cairn::check {
namespace {

using Store = std::map<std::string, std::string>;

// Applies `op` to `store`; false if its recorded output is impossible.
bool Apply(const Operation& op, Store& store) {
  const auto it = store.find(op.key);
  const bool present = it != store.end();
  switch (op.kind) {
    case OpKind::kGet:
      return !op.known || (op.found == present && (!present || it->second == op.output));
    case OpKind::kPut:
      store[op.key] = op.value;
      return true;
    case OpKind::kDelete:
      store.erase(op.key);
      return true;
    case OpKind::kCas: {
      const bool match = present && it->second == op.expected;
      if (op.known && match != op.cas_ok) return false;
      if (match) it->second = op.value;
      return true;
    }
  }
  return false;
}

// Straight from the definition: some order of all known-outcome ops and any
// subset of the unknown-outcome ones, respecting real time, that the
// sequential store accepts.
bool Linearizable(const History& h, std::vector<bool>& used, const Store& store) {
  bool done = true;
  for (size_t i = 0; i < h.size(); ++i)
    done = done && (used[i] || !h[i].known);
  if (done) return true;
  for (size_t i = 0; i < h.size(); ++i) {
    if (used[i]) continue;
    bool ready = true;
    for (size_t j = 0; j < h.size(); ++j) {
      ready = ready && (used[j] || j == i || !h[j].known || h[j].ret >= h[i].call);
    }
    Store next = store;
    if (!ready || !Apply(h[i], next)) continue;
    used[i] = true;
    if (Linearizable(h, used, next)) return true;
    used[i] = false;
  }
  return false;
}

// Rewrites one operation's output (or outcome) at random.
void Corrupt(History& h, Random& rng) {
  Operation& op = h[rng.Uniform(h.size())];
  op.known = true;
  op.ret = std::max(op.ret, op.call);
  op.found = rng.Chance(0.7);
  op.output = "v" + std::to_string(rng.Uniform(4));
  op.cas_ok = rng.Chance(0.5);
}

// Checks `seeds` histories, about half corrupted; each kind of verdict must
// come up at least `min_each` times for the comparison to mean something.
void CrossCheck(const RandomHistoryOptions& o, int seeds, int min_each) {
  int accepted = 0, rejected = 0;
  for (int seed = 0; seed < seeds; ++seed) {
    SeededRandom rng(seed);
    History h = RandomLinearizableHistory(o, rng);
    if (rng.Chance(0.5)) Corrupt(h, rng);
    std::vector<bool> used(h.size(), false);
    const bool expected = Linearizable(h, used, {});
    const CheckResult r = CheckLinearizable(h);
    ASSERT_EQ(r.verdict, expected ? CheckResult::kOk : CheckResult::kViolation)
        << "seed " << seed << "\n"
        << r.explanation;
    ++(expected ? accepted : rejected);
  }
  EXPECT_GE(accepted, min_each);
  EXPECT_GE(rejected, min_each);
}

TEST(CheckBruteForce, TwoKeysSomeUnknown) {
  RandomHistoryOptions o;
  o.ops = 8;
  o.clients = 3;
  o.keys = 2;
  o.max_latency = 3;
  o.max_think = 1;
  o.unknown_fraction = 0.25;
  o.put_fraction = 0.3;
  o.delete_fraction = 0.1;
  o.cas_fraction = 0.3;
  CrossCheck(o, 20000, 2000);
}

// Unknown-outcome ops are where the search prunes hardest.
TEST(CheckBruteForce, OneKeyHalfUnknown) {
  RandomHistoryOptions o;
  o.ops = 10;
  o.clients = 4;
  o.keys = 1;
  o.max_latency = 5;
  o.max_think = 1;
  o.unknown_fraction = 0.5;
  o.put_fraction = 0.3;
  o.delete_fraction = 0.15;
  o.cas_fraction = 0.3;
  CrossCheck(o, 1000, 50);
}

}  // namespace
}  // namespace cairn::check
