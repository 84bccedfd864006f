# Cairn's entry points. `make run` and `make test` install missing Debian
# packages, build, and then run; everything else is a convenience.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
ASAN := build/asan
FUZZ := build/fuzz
FUZZERS := wal_record_fuzz mvcc_key_fuzz
# Seconds per fuzzer: a short run in `make test`, a longer one in `make fuzz`.
FUZZ_SMOKE_SECONDS ?= 20
FUZZ_SECONDS ?= 600
SEEDS ?= 0..999
# `make chaos`: RUNS runs of DURATION seconds of faults each (tests/chaos).
RUNS ?= 5
CHAOS_DURATION ?= 60
# Seconds per workload in `make bench`.
DURATION ?= 10
# Debian's Python, which has python3-matplotlib (a python3 earlier on PATH,
# such as a pyenv shim, may not).
PYTHON := /usr/bin/python3
CMAKE_GEN := -G Ninja -Wno-dev
# Let ccache share results between checkouts of the tree (CI builds a fresh
# clone in another folder on the same machine).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps build build-asan build-fuzz test test-release test-asan fuzz-run fuzz sim sim-long chaos bench bench-micro fmt lint run clean

deps:
	@./scripts/deps.sh

$(RELEASE)/build.ninja:
	@cmake -S . -B $(RELEASE) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@ln -sf $(RELEASE)/compile_commands.json compile_commands.json

$(ASAN)/build.ninja:
	@cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_SANITIZE=ON >/dev/null

$(FUZZ)/build.ninja:
	@cmake -S fuzz -B $(FUZZ) $(CMAKE_GEN) -DCMAKE_CXX_COMPILER=clang++ >/dev/null

build: deps $(RELEASE)/build.ninja
	@cmake --build $(RELEASE) -j $(JOBS)

build-asan: deps $(ASAN)/build.ninja
	@cmake --build $(ASAN) -j $(JOBS)

build-fuzz: deps $(FUZZ)/build.ninja
	@cmake --build $(FUZZ) -j $(JOBS)

# The whole suite: Release unit tests and 1,000 simulated seeds, then the
# unit tests and a smaller seed range under ASan+UBSan, then a short fuzz run.
test: build build-asan build-fuzz
	@mkdir -p test-output
	cd $(RELEASE) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory fuzz-run SECONDS=$(FUZZ_SMOKE_SECONDS) CORPUS=test-output/fuzz

# Each fuzzer for SECONDS from CORPUS/<name> (kept between runs); a crash
# leaves its input in test-output/fuzz-crashes and fails the target. libFuzzer
# prints its seed first: replay with `build/fuzz/<name> -seed=N` or rerun the
# saved input with `build/fuzz/<name> <file>`.
fuzz-run:
	@mkdir -p test-output/fuzz-crashes
	@for f in $(FUZZERS); do \
	  mkdir -p $(CORPUS)/$$f; \
	  echo "fuzz: $$f for $(SECONDS) s"; \
	  $(FUZZ)/$$f -max_total_time=$(SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=test-output/fuzz-crashes/$$f- $(CORPUS)/$$f 2>test-output/fuzz-$$f.log \
	    || { tail -40 test-output/fuzz-$$f.log; exit 1; }; \
	  grep -E "stat::number_of_executed_units|INFO: Seed" test-output/fuzz-$$f.log | tr '\n' ' '; echo; \
	done

fuzz: build-fuzz
	@$(MAKE) --no-print-directory fuzz-run SECONDS=$(FUZZ_SECONDS) CORPUS=build/fuzz/corpus

sim: build
	$(RELEASE)/sim/cairn-sim --seeds $(SEEDS)

# Longer fault-injection schedules on real processes, each with a fresh seed
# (printed; replay one with tests/chaos/chaos.py --seed N). Reports land in
# test-output/chaos/run-<time>-<n>; the totals are printed at the end.
# `make chaos RUNS=20 DURATION=60` (DURATION here means seconds per run).
chaos: build
	@mkdir -p test-output/chaos
	@stamp=$$(date +%Y%m%d-%H%M%S); failed=0; \
	for n in $$(seq $(RUNS)); do \
	  $(PYTHON) tests/chaos/chaos.py --cairn $(RELEASE)/src/cmd/cairn \
	    --checker $(RELEASE)/check/cairn-check-history --fault-shim $(RELEASE)/tests/chaos/libcairn_chaos_faults.so --duration $(if $(filter command line,$(origin DURATION)),$(DURATION),$(CHAOS_DURATION)) \
	    --out test-output/chaos/run-$$stamp-$$n >/dev/null || failed=$$((failed + 1)); \
	  tail -n +1 test-output/chaos/run-$$stamp-$$n/summary.txt; \
	done; \
	$(PYTHON) tests/chaos/totals.py test-output/chaos; \
	test $$failed -eq 0

# `make sim-long SEEDS=0..9999` runs as many seeds as asked (default 10,000).
sim-long: build
	$(RELEASE)/sim/cairn-sim --seeds $(if $(filter command line,$(origin SEEDS)),$(SEEDS),0..9999)

# Cairn against etcd and a no-op server on the same machine, same client,
# same run: writes build/bench/results.json, the compare block in
# docs/BENCHMARKS.md and docs/bench/compare.png (bench/compare.py).
bench: build
	$(PYTHON) bench/compare.py --duration $(DURATION)

# The micro-benchmarks, cairn-bench-<name> (not the load tool cairn-bench
# itself, nor cairn-noop-server).
bench-micro: build
	@for b in $(RELEASE)/bench/cairn-bench-*; do echo "== $$b"; $$b; done

fmt:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

lint:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

# A local 3-member cluster on loopback until Ctrl-C (scripts/run.sh).
run: build
	@./scripts/run.sh

clean:
	rm -rf build compile_commands.json
