# Cairn's entry points. `make run` and `make test` install missing Debian
# packages, build, and then run; everything else is a convenience.
SHELL := /bin/bash
JOBS ?= $(shell nproc)
RELEASE := build/release
ASAN := build/asan
SEEDS ?= 0..999
CMAKE_GEN := -G Ninja -Wno-dev
# Let ccache share results between checkouts of the tree (CI builds a fresh
# clone in another folder on the same machine).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: deps build build-asan test test-release test-asan sim sim-long bench fmt lint run clean

deps:
	@./scripts/deps.sh

$(RELEASE)/build.ninja:
	@cmake -S . -B $(RELEASE) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release >/dev/null
	@ln -sf $(RELEASE)/compile_commands.json compile_commands.json

$(ASAN)/build.ninja:
	@cmake -S . -B $(ASAN) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_SANITIZE=ON >/dev/null

build: deps $(RELEASE)/build.ninja
	@cmake --build $(RELEASE) -j $(JOBS)

build-asan: deps $(ASAN)/build.ninja
	@cmake --build $(ASAN) -j $(JOBS)

# The whole suite: Release unit tests and 1,000 simulated seeds, then the
# unit tests and a smaller seed range under ASan+UBSan.
test: build build-asan
	@mkdir -p test-output
	cd $(RELEASE) && ctest --output-on-failure -j $(JOBS)
	cd $(ASAN) && ctest --output-on-failure -j $(JOBS)

sim: build
	$(RELEASE)/sim/cairn-sim --seeds $(SEEDS)

# `make sim-long SEEDS=0..9999` runs as many seeds as asked (default 10,000).
sim-long: build
	$(RELEASE)/sim/cairn-sim --seeds $(if $(filter command line,$(origin SEEDS)),$(SEEDS),0..9999)

bench: build
	@for b in $(RELEASE)/bench/cairn-bench-*; do echo "== $$b"; $$b; done

fmt:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

lint:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run --Werror

run: build
	@echo "cairn: the server arrives with issue 4; for now 'make sim' runs the simulated cluster."
	$(RELEASE)/sim/cairn-sim --seeds 0..9 --verbose

clean:
	rm -rf build compile_commands.json
