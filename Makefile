# Every target creates what it needs: a fresh clone runs `make demo` or `make test` and nothing else.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Cargo build products live outside the clone, so fresh clones (and CI) build incrementally.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/pusher-fast/target
STAMP := $(VENV)/.deps-installed
NATIVE_STAMP := $(VENV)/.native-built
# rust/fuzz is not part of the extension (a workspace of its own): editing a fuzz target rebuilds nothing here.
RUST_SOURCES := $(shell find rust -path rust/fuzz -prune -o \( -name '*.rs' -o -name Cargo.toml \) -print) Cargo.toml \
	Cargo.lock .cargo/config.toml

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $$($(BIN)/python scripts/dev_requirements.py)
	touch $@

$(NATIVE_STAMP): $(STAMP) $(RUST_SOURCES)
	rm -f python/pusher_fast/_native*.so
	VIRTUAL_ENV=$(abspath $(VENV)) $(BIN)/maturin develop --release --quiet
	touch $@

.PHONY: install
install: $(NATIVE_STAMP) ## Create .venv, install pinned dependencies, build the extension

.PHONY: test
test: install ## Build everything and run the Rust and Python test suites
	cargo test --workspace --quiet --locked
	$(BIN)/python -m pytest -q -n 2

.PHONY: faults
faults: install ## Run only the fault-injection suite (tests/faults): faults, deadlines, retries, fork, cancellation, leaks, TLS, secrets
	$(BIN)/python -m pytest tests/faults -q -n 2

.PHONY: e2e-install
e2e-install: ## Install the end-to-end tools: soketi, sockudo, pusher-js, the Node and Go SDKs (~/.cache/pusher-fast), Chromium (apt)
	scripts/e2e/install.sh

.PHONY: e2e
e2e: install e2e-install ## Run only the end-to-end suite: soketi, sockudo, pusher-js, the Node and Go SDKs, headless Chromium
	$(BIN)/python -m pytest tests/e2e -q -n 2 -m e2e

# `make test` runs the end-to-end suite too (its pytest run collects tests/e2e), so it installs what that needs.
test: e2e-install

# Release artifacts: devtools/dist.py holds the table of wheels; Cargo's cross builds stay in $(CARGO_TARGET_DIR)/<triple>.
.PHONY: dist
dist: $(STAMP) ## Wheels (manylinux2014 x86_64 and aarch64, musllinux x86_64; zig) and the sdist in dist/ (cold 11 min, fresh clone 5-6)
	$(BIN)/python -m devtools.dist

.PHONY: dist-test
dist-test: install dist ## make dist, then the wheel on CPython 3.9-3.13 and the sdist built from source, in clean venvs
	$(BIN)/python -m pytest tests/release -q -n 2 -m dist

.PHONY: demo
demo: install ## Run the main job against the embedded local Pusher server
	$(BIN)/python examples/demo.py

.PHONY: lint
lint: install ## ruff, mypy --strict, stubtest of _native, cargo fmt and clippy (the fuzz crate too)
	$(BIN)/ruff check python devtools tests benches scripts examples
	$(BIN)/ruff format --check python devtools tests benches scripts examples
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest pusher_fast._native
	cargo fmt --all --check
	cargo clippy --workspace --locked --all-targets -- -D warnings
	cargo clippy -p pusher-fast-sender --features fuzzing --locked -- -D warnings
	cargo fmt --manifest-path rust/fuzz/Cargo.toml --check
	cargo clippy --manifest-path rust/fuzz/Cargo.toml --locked --all-targets -- -D warnings

.PHONY: format
format: install ## Format Python and Rust sources
	$(BIN)/ruff format python devtools tests benches scripts examples
	$(BIN)/ruff check --fix python devtools tests benches scripts examples
	cargo fmt --all

# Benchmarks: scripts/bench/setup.sh installs nginx, builds the Go peer and installs soketi and the Node SDK through
# scripts/e2e; the micro benchmarks' JSON goes to .benchmarks/ and `python -m benches.throughput` prints the one table
# of both, beside the official Go and Node SDKs. Scale with BENCH_* (`python -m benches.throughput -h`).
BENCH_DIR := .benchmarks
BENCH_MICRO = $(BIN)/python -m pytest benches/bench_micro.py -q -p no:xdist --benchmark-enable \
	--benchmark-group-by=group --benchmark-sort=name --benchmark-columns=median,ops,rounds \
	--benchmark-warmup=on --benchmark-warmup-iterations=1000 --benchmark-json=$(BENCH_DIR)/micro.json
BENCH_THROUGHPUT = $(BIN)/python -m benches.throughput --micro-json $(BENCH_DIR)/micro.json \
	--json-out $(BENCH_DIR)/throughput.json

.PHONY: bench
bench: install ## Benchmarks: pusher_fast beside the official Python, Go and Node SDKs and the sink's ceiling (about 8 minutes)
	scripts/bench/setup.sh
	mkdir -p $(BENCH_DIR)
	$(BENCH_MICRO)
	$(BENCH_THROUGHPUT) --micro-command "$(strip $(BENCH_MICRO))"

.PHONY: bench-quick
bench-quick: install ## The same benchmarks with smaller counts and shorter runs (about 2-3 minutes)
	scripts/bench/setup.sh
	mkdir -p $(BENCH_DIR)
	BENCH_PEDANTIC_ROUNDS=500 $(BENCH_MICRO) --benchmark-max-time=0.25
	$(BENCH_THROUGHPUT) --quick --micro-command "BENCH_PEDANTIC_ROUNDS=500 $(strip $(BENCH_MICRO)) --benchmark-max-time=0.25"

# Fuzzing (not part of `make test`): the cargo-fuzz targets in rust/fuzz on the nightly toolchain, cargo-fuzz built
# into ~/.cache/pusher-fast by scripts/fuzz/install.sh, then the Python properties (scripts/fuzz/properties.py) with
# Python's json module as the oracle. The corpora grow in $(CARGO_TARGET_DIR)/fuzz; see scripts/fuzz/run.sh for knobs.
FUZZ_TIME ?= 60
FUZZ_EXAMPLES ?= 2000
FUZZ_LONG_RUNS ?= 1300000
FUZZ_LONG_EXAMPLES ?= 10000

.PHONY: fuzz
fuzz: install ## Fuzz every Rust target for FUZZ_TIME s (60) and every Python property for FUZZ_EXAMPLES examples (2000)
	FUZZ_TIME=$(FUZZ_TIME) scripts/fuzz/run.sh
	$(BIN)/python scripts/fuzz/properties.py --examples $(FUZZ_EXAMPLES)

.PHONY: fuzz-long
fuzz-long: install ## The long campaign: FUZZ_LONG_RUNS executions per Rust target, FUZZ_LONG_EXAMPLES per property
	FUZZ_RUNS=$(FUZZ_LONG_RUNS) FUZZ_SANITIZER=none scripts/fuzz/run.sh
	$(BIN)/python scripts/fuzz/properties.py --examples $(FUZZ_LONG_EXAMPLES)

.PHONY: fuzz-replay
fuzz-replay: ## Replay every Rust target's seeds and grown corpus once: a quick regression check
	FUZZ_REPLAY=1 scripts/fuzz/run.sh

.PHONY: clean
clean: ## Remove the virtualenv and build products of this clone
	rm -rf $(VENV) dist python/pusher_fast/_native*.so .pytest_cache .mypy_cache .ruff_cache
