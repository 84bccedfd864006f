// How long the linearizability checker takes to decide a simulated run's
// worth of history: 10,000 operations from 10 clients, some timed out, over
// 10 keys (the target) or all on one key (the worst contention). Violations
// cost more than acceptance: the search must exhaust every interleaving
// before the impossible read.
#include <benchmark/benchmark.h>

#include "base/random.h"
#include "check/linearizability.h"
#include "check/random_history.h"

namespace cairn::check {
namespace {

History MakeHistory(int keys) {
  RandomHistoryOptions o;
  o.ops = 10'000;
  o.clients = 10;
  o.keys = keys;
  o.unknown_fraction = 0.02;
  SeededRandom rng(42);
  return RandomLinearizableHistory(o, rng);
}

// Makes a get halfway through read a value first written after it returned.
void ForgeFutureRead(History& h) {
  for (size_t g = h.size() / 2; g < h.size(); ++g) {
    if (h[g].kind != OpKind::kGet || !h[g].known) continue;
    for (const Operation& w : h) {
      if (w.key == h[g].key && w.kind == OpKind::kPut && w.call > h[g].ret) {
        h[g].found = true;
        h[g].output = w.value;
        return;
      }
    }
  }
}

void Decide(benchmark::State& state, const History& h, CheckResult::Verdict want) {
  for (auto _ : state) {
    const CheckResult r = CheckLinearizable(h);
    if (r.verdict != want) {
      state.SkipWithError(("unexpected verdict: " + std::string(VerdictName(r.verdict))).c_str());
      break;
    }
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(h.size()));
}

void BM_CheckLinearizable(benchmark::State& state) {
  Decide(state, MakeHistory(static_cast<int>(state.range(0))), CheckResult::kOk);
}
BENCHMARK(BM_CheckLinearizable)->Arg(10)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_CheckViolation(benchmark::State& state) {
  History h = MakeHistory(static_cast<int>(state.range(0)));
  ForgeFutureRead(h);
  Decide(state, h, CheckResult::kViolation);
}
BENCHMARK(BM_CheckViolation)->Arg(10)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cairn::check
