// The simulator's speed: simulated seconds per wall-clock second, full
// fault mix, invariants and the linearizability check included.
#include <benchmark/benchmark.h>

#include "sim/simulation.h"

namespace cairn::sim {
namespace {

void BM_SimulatedSecondsPerSecond(benchmark::State& state) {
  uint64_t seed = 0;
  double simulated = 0;
  for (auto _ : state) {
    SimOptions opt;
    opt.seed = seed++;
    const SimResult r = RunSimulation(opt);
    if (!r.ok) state.SkipWithError(("seed failed: " + r.property).c_str());
    simulated += static_cast<double>(r.simulated_us) / 1e6;
  }
  state.counters["sim_s/s"] = benchmark::Counter(simulated, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SimulatedSecondsPerSecond)->Unit(benchmark::kMillisecond)->MinTime(5);

}  // namespace
}  // namespace cairn::sim
