# The two first-run commands: `make run` and `make test`. Both install what is missing first.
JOBS ?= $(shell nproc)
BUILD_DIR := build
CTEST_ARGS ?=
# ccache hits across clones in other directories (CI builds a fresh clone each time).
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

.PHONY: setup configure build test run sanitize bench fuzz clean help

help:
	@echo "make run       set up, build and start iotwins up (server, broker, agents, demo plant)"
	@echo "make test      set up, build and run every test (unit and end-to-end)"
	@echo "make build     build build/bin/iotwins and the tests"
	@echo "make sanitize  build with ASan+UBSan in build-asan and run every test"
	@echo "make bench     run every benchmark quickly (bench/run --list)"
	@echo "make fuzz      build the libFuzzer targets with clang 16 in build-fuzz"

setup:
	@scripts/setup

$(BUILD_DIR)/build.ninja:
	cmake --preset release >/dev/null

configure: $(BUILD_DIR)/build.ninja

build: configure
	cmake --build $(BUILD_DIR) -j $(JOBS)

test: setup
	@$(MAKE) --no-print-directory build
	ctest --test-dir $(BUILD_DIR) --output-on-failure -j $(JOBS) $(CTEST_ARGS)

run: setup
	@$(MAKE) --no-print-directory build
	$(BUILD_DIR)/bin/iotwins up

sanitize: setup
	cmake --preset asan-ubsan >/dev/null
	cmake --build build-asan -j $(JOBS)
	ctest --test-dir build-asan --output-on-failure -j $(JOBS)

bench: setup
	@$(MAKE) --no-print-directory build
	@for name in $$(bench/run --list | cut -f1); do bench/run $$name --quick || exit 1; done

fuzz: setup
	CC=clang-16 CXX=clang++-16 cmake -S . -B build-fuzz -G Ninja -DIOTWINS_FUZZ=ON \
	  -DIOTWINS_BUILD_TESTS=OFF -DIOTWINS_BUILD_BENCH=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build-fuzz -j $(JOBS)

clean:
	rm -rf $(BUILD_DIR) build-debug build-asan build-fuzz
