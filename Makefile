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
RUST_SOURCES := $(shell find rust -name '*.rs') Cargo.toml Cargo.lock

.PHONY: help
help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

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
	cargo test --quiet --locked
	$(BIN)/python -m pytest -q -n 2

.PHONY: demo
demo: install ## Run the main job against the embedded local Pusher server
	$(BIN)/python examples/demo.py

.PHONY: lint
lint: install ## ruff, mypy --strict, stubtest of _native, cargo fmt and clippy
	$(BIN)/ruff check python tests benches scripts examples
	$(BIN)/ruff format --check python tests benches scripts examples
	$(BIN)/mypy
	$(BIN)/python -m mypy.stubtest pusher_fast._native
	cargo fmt --check
	cargo clippy --locked --all-targets -- -D warnings

.PHONY: format
format: install ## Format Python and Rust sources
	$(BIN)/ruff format python tests benches scripts examples
	$(BIN)/ruff check --fix python tests benches scripts examples
	cargo fmt

.PHONY: bench
bench: install ## Benchmarks: pusher_fast against the official pusher package, side by side
	$(BIN)/python -m pytest benches -q --benchmark-enable --benchmark-columns=median,ops --benchmark-sort=name -p no:xdist

.PHONY: clean
clean: ## Remove the virtualenv and build products of this clone
	rm -rf $(VENV) python/pusher_fast/_native*.so .pytest_cache .mypy_cache .ruff_cache
