# caremap: two commands on a fresh Debian 12 machine with Rust.
#   make run   start the server on the bundled sample in data/ (http://127.0.0.1:8080)
#   make test  install what the tests need and run every test
SHELL := /bin/bash
.DEFAULT_GOAL := help

ADDR ?= 127.0.0.1:8080
DB ?= caremap.db
# Debian packages the build and the tests need; installed only when missing (node and npm
# are checked by command, since some machines carry them from another package source).
# postgresql: the PostgreSQL store's tests start a private cluster of their own (initdb into a
# temporary folder, unix socket only) and never use the system cluster the package may start.
APT_PACKAGES := cmake pkg-config sqlite3 chromium fonts-noto-cjk gdal-bin proj-bin postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test test-rust test-browser deps system-deps web-deps build sample bench bench-http bench-page fmt lint

help:
	@echo "make run    start caremap on the bundled sample at http://$(ADDR)"
	@echo "make test   install test dependencies and run every test"
	@echo "make bench  run the index benchmarks (criterion)"
	@echo "make bench-http  HTTP load test on 1 M providers beside PostGIS (COUNT=, DURATION=, CONNECTIONS=)"
	@echo "make bench-page  the map page on an emulated slow 4G phone link (RUNS=)"

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	command -v npm >/dev/null 2>&1 || missing="$$missing nodejs npm"; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

web-deps: system-deps
	@if [ -f web/package.json ]; then cd web && npm ci --no-audit --no-fund --loglevel=error; fi

deps: system-deps web-deps

build: system-deps
	cargo build --release --locked

run: build web-deps
	./target/release/caremap serve --addr $(ADDR) --db $(DB) --data data --web web

test: deps test-rust test-browser

test-rust:
	cargo test --locked --lib --bins --tests

# The browser tests run target/debug/caremap; building it with the same command as test-rust
# reuses that build (a plain `cargo build` unifies features differently and rebuilds PROJ).
test-browser: web-deps
	@if [ -f tests/browser/package.json ]; then \
	  cargo test --locked --lib --bins --tests --no-run && cd tests/browser && npm ci --no-audit --no-fund --loglevel=error && npm test; \
	fi

sample:
	cargo run --release -- sample --out data

bench:
	cargo bench --bench index

# HTTP load (wrk) and PostGIS KNN (pgbench) on COUNT generated providers; see benches/http_load.sh.
# Quick smoke run: make bench-http COUNT=100000 DURATION=5
bench-http:
	COUNT=$(COUNT) DURATION=$(DURATION) CONNECTIONS=$(CONNECTIONS) bash benches/http_load.sh

# The map page over an emulated slow 4G link (150 ms, 1.6 Mb/s): time to first markers,
# requests, bytes; see benches/slow_network.mjs. RUNS= sets the number of cold loads.
bench-page: build web-deps
	cd tests/browser && npm ci --no-audit --no-fund --loglevel=error
	RUNS=$(or $(RUNS),3) node benches/slow_network.mjs

fmt:
	cargo fmt

lint:
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
