// The MVCC store on RocksDB at 1 M keys: puts/s (one entry per batch, and
// 100 entries per batch), point ranges/s, and a 1,000-key range scan, with
// the process's resident memory as a counter. The store is built once
// (1 M puts through ApplyBatch), in a temp directory removed at exit.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/random.h"
#include "kv/mvcc_store.h"

namespace cairn::kv {
namespace {

constexpr int kKeys = 1'000'000;
constexpr size_t kValueBytes = 100;

std::string Key(uint64_t i) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "key%08llu", static_cast<unsigned long long>(i));
  return buf;
}

double RssMegabytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

struct Shared {
  std::string dir;
  std::unique_ptr<MvccStore> store;
  uint64_t index = 0;
  int64_t revision = 0;

  Shared() {
    std::string tmpl = "/tmp/cairn-mvcc-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir = tmpl;
    auto opened = MvccStore::Open(dir + "/group");
    if (!opened.ok()) std::abort();
    store = std::move(*opened);
    std::vector<cairnpb::RaftRequest> reqs(1000);
    std::vector<LogEntry> entries;
    for (int base = 0; base < kKeys; base += 1000) {
      entries.clear();
      for (int i = 0; i < 1000; ++i) {
        reqs[i].mutable_put()->set_key(Key(base + i));
        reqs[i].mutable_put()->set_value(std::string(kValueBytes, 'v'));
        entries.push_back({++index, 1, ++revision, &reqs[i]});
      }
      if (!store->ApplyBatch(entries).ok()) std::abort();
    }
  }
  ~Shared() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

Shared& Store() {
  static Shared shared;
  return shared;
}

// Overwrites random existing keys, `batch` entries per ApplyBatch.
void BM_Put(benchmark::State& state) {
  Shared& s = Store();
  const int batch = static_cast<int>(state.range(0));
  SeededRandom rng(1);
  std::vector<cairnpb::RaftRequest> reqs(batch);
  std::vector<LogEntry> entries;
  for (auto _ : state) {
    entries.clear();
    for (int i = 0; i < batch; ++i) {
      reqs[i].mutable_put()->set_key(Key(rng.Uniform(kKeys)));
      reqs[i].mutable_put()->set_value(std::string(kValueBytes, 'w'));
      entries.push_back({++s.index, 1, ++s.revision, &reqs[i]});
    }
    if (!s.store->ApplyBatch(entries).ok()) state.SkipWithError("apply failed");
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["rss_MB"] = RssMegabytes();
}
BENCHMARK(BM_Put)->Arg(1)->Arg(100)->MinTime(1.0);

void BM_PointRange(benchmark::State& state) {
  Shared& s = Store();
  SeededRandom rng(2);
  etcdserverpb::RangeRequest req;
  for (auto _ : state) {
    req.set_key(Key(rng.Uniform(kKeys)));
    auto r = s.store->Range(req);
    if (!r.ok() || r->kvs_size() != 1) state.SkipWithError("range failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["rss_MB"] = RssMegabytes();
}
BENCHMARK(BM_PointRange)->MinTime(1.0);

void BM_RangeScan1000(benchmark::State& state) {
  Shared& s = Store();
  SeededRandom rng(3);
  etcdserverpb::RangeRequest req;
  for (auto _ : state) {
    const uint64_t start = rng.Uniform(kKeys - 1000);
    req.set_key(Key(start));
    req.set_range_end(Key(start + 1000));
    auto r = s.store->Range(req);
    if (!r.ok() || r->kvs_size() != 1000) state.SkipWithError("scan failed");
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["rss_MB"] = RssMegabytes();
}
BENCHMARK(BM_RangeScan1000)->MinTime(1.0);

}  // namespace
}  // namespace cairn::kv
