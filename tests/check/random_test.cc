// Randomized histories: linearizable by construction, then forged.
#include "base/random.h"

#include <gtest/gtest.h>

#include <optional>

#include "check/linearizability.h"
#include "check/random_history.h"

namespace cairn::check {
namespace {

constexpr int kSeeds = 300;

RandomHistoryOptions Small() {
  RandomHistoryOptions o;
  o.ops = 200;
  o.clients = 5;
  o.keys = 3;
  o.unknown_fraction = 0.05;
  return o;
}

bool Writes(const Operation& op) {
  return op.kind == OpKind::kPut || (op.kind == OpKind::kCas && (op.cas_ok || !op.known));
}

bool DefinitelyWrites(const Operation& op) {
  return op.known && (op.kind == OpKind::kPut || op.kind == OpKind::kDelete ||
                      (op.kind == OpKind::kCas && op.cas_ok));
}

// A known get after which some value v is provably gone: v's only writer P
// completed before another completed write Q started, and Q completed before
// the get started. Values are unique, so nothing rewrites v. Returns the
// get's index and v.
std::optional<std::pair<size_t, std::string>> FindStaleForgery(const History& h, Random& rng) {
  const size_t start = rng.Uniform(h.size());
  for (size_t n = 0; n < h.size(); ++n) {
    const size_t g = (start + n) % h.size();
    if (h[g].kind != OpKind::kGet || !h[g].known) continue;
    for (const Operation& q : h) {
      if (q.key != h[g].key || !DefinitelyWrites(q) || q.ret >= h[g].call) continue;
      for (const Operation& p : h) {
        if (p.key == q.key && DefinitelyWrites(p) && p.kind != OpKind::kDelete && p.ret < q.call) {
          return std::pair(g, p.value);
        }
      }
    }
  }
  return std::nullopt;
}

// A known get and a value whose only writer was called after the get returned.
std::optional<std::pair<size_t, std::string>> FindFutureForgery(const History& h, Random& rng) {
  const size_t start = rng.Uniform(h.size());
  for (size_t n = 0; n < h.size(); ++n) {
    const size_t g = (start + n) % h.size();
    if (h[g].kind != OpKind::kGet || !h[g].known) continue;
    for (const Operation& w : h) {
      if (w.key == h[g].key && Writes(w) && w.call > h[g].ret) return std::pair(g, w.value);
    }
  }
  return std::nullopt;
}

void Forge(History& h, const std::pair<size_t, std::string>& forgery) {
  h[forgery.first].found = true;
  h[forgery.first].output = forgery.second;
}

TEST(CheckRandom, GeneratedHistoriesAreConcurrentAndHaveUnknownOutcomes) {
  SeededRandom rng(1);
  const History h = RandomLinearizableHistory(Small(), rng);
  ASSERT_EQ(h.size(), 200u);
  int unknown = 0, overlapping = 0, cas_ok = 0, cas_failed = 0;
  for (size_t i = 0; i < h.size(); ++i) {
    unknown += !h[i].known;
    if (h[i].known && h[i].kind == OpKind::kCas) ++(h[i].cas_ok ? cas_ok : cas_failed);
    if (i > 0 && h[i].known && h[i - 1].known && h[i].call <= h[i - 1].ret) ++overlapping;
  }
  EXPECT_GT(unknown, 0);
  EXPECT_GT(overlapping, 20);
  EXPECT_GT(cas_ok, 0);
  EXPECT_GT(cas_failed, 0);
}

TEST(CheckRandom, LinearizableHistoriesAreAccepted) {
  for (int seed = 0; seed < kSeeds; ++seed) {
    SeededRandom rng(seed);
    const CheckResult r = CheckLinearizable(RandomLinearizableHistory(Small(), rng));
    ASSERT_EQ(r.verdict, CheckResult::kOk) << "seed " << seed << "\n" << r.explanation;
  }
}

TEST(CheckRandom, HighContentionOnOneKeyIsAccepted) {
  RandomHistoryOptions o;
  o.ops = 2000;
  o.clients = 10;
  o.keys = 1;
  o.unknown_fraction = 0.03;
  for (int seed = 0; seed < 5; ++seed) {
    SeededRandom rng(seed);
    const CheckResult r = CheckLinearizable(RandomLinearizableHistory(o, rng));
    ASSERT_EQ(r.verdict, CheckResult::kOk) << "seed " << seed << "\n" << r.explanation;
  }
}

TEST(CheckRandom, ReadOfUnwrittenValueIsRejected) {
  for (int seed = 0; seed < kSeeds; ++seed) {
    SeededRandom rng(seed);
    History h = RandomLinearizableHistory(Small(), rng);
    const auto g = FindFutureForgery(h, rng);  // any known get will do
    ASSERT_TRUE(g.has_value());
    Forge(h, {g->first, "never written"});
    const CheckResult r = CheckLinearizable(h);
    ASSERT_EQ(r.verdict, CheckResult::kViolation) << "seed " << seed;
    EXPECT_EQ(r.key, h[g->first].key);
  }
}

TEST(CheckRandom, ReadOfFutureValueIsRejected) {
  int forged = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SeededRandom rng(seed);
    History h = RandomLinearizableHistory(Small(), rng);
    const auto forgery = FindFutureForgery(h, rng);
    if (!forgery) continue;
    ++forged;
    Forge(h, *forgery);
    const CheckResult r = CheckLinearizable(h);
    ASSERT_EQ(r.verdict, CheckResult::kViolation) << "seed " << seed;
    EXPECT_EQ(r.key, h[forgery->first].key);
    EXPECT_NE(r.explanation.find(ToString(h[forgery->first])), std::string::npos)
        << "seed " << seed << "\n"
        << r.explanation;
  }
  EXPECT_GT(forged, kSeeds * 9 / 10);
}

TEST(CheckRandom, StaleReadIsRejected) {
  int forged = 0;
  for (int seed = 0; seed < kSeeds; ++seed) {
    SeededRandom rng(seed);
    History h = RandomLinearizableHistory(Small(), rng);
    const auto forgery = FindStaleForgery(h, rng);
    if (!forgery) continue;
    ++forged;
    Forge(h, *forgery);
    const CheckResult r = CheckLinearizable(h);
    ASSERT_EQ(r.verdict, CheckResult::kViolation) << "seed " << seed;
    EXPECT_EQ(r.key, h[forgery->first].key);
  }
  EXPECT_GT(forged, kSeeds * 9 / 10);
}

}  // namespace
}  // namespace cairn::check
