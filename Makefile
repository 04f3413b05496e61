# stormbridge — one task runner for people and CI. `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SPARSE := $(VENV)/bin/sparse
TIME ?= 60
PYTEST_ARGS ?=

.PHONY: help
help: ## show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-17s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: system-deps
system-deps: ## install the Debian packages running needs (Java 17, Maven, python3-venv, Graphviz) if missing
	@bash scripts/system-deps.sh run

.PHONY: system-deps-test
system-deps-test: ## system-deps plus what only the tests need (Chromium, OpenSSH, iproute2)
	@bash scripts/system-deps.sh test

$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[fast]'
	@touch $@

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,fast]'
	@touch $@

.PHONY: install-run
install-run: $(VENV)/.installed-run ## create .venv and install stormbridge (no test tools)

.PHONY: install
install: $(VENV)/.installed ## create .venv and install stormbridge with its dev tools

.PHONY: storm
storm: system-deps install-run ## provision Apache Storm 2.8.3 (the pinned release) from Maven Central (cached, idempotent)
	$(SPARSE) cluster provision

.PHONY: run
run: storm ## set up everything and run the word-count topology on real Storm (local mode), TIME=60 seconds
	$(SPARSE) run -n wordcount -t $(TIME)

.PHONY: kafka-jars
kafka-jars: install ## fetch what the Kafka tests and examples/kafka-trending need from Maven Central: the Kafka 4.1 broker and the Kafka spout's jars (cached)
	$(PY) -c 'from stormbridge.testing.kafka import fetch_kafka_jars; fetch_kafka_jars()'

.PHONY: docker-deps
docker-deps: ## install docker.io, docker-compose and debootstrap if missing (the Docker cluster test)
	@bash scripts/docker-engine.sh deps

.PHONY: test
test: system-deps-test docker-deps storm kafka-jars lint ## run every check: lint, unit tests, then integration tests on real Storm (Docker, Kafka too)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

.PHONY: test-unit
test-unit: install ## run the unit tests only (no JVM needed)
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff (lint + format check) and mypy
	$(VENV)/bin/ruff check stormbridge streamparse pystorm tests bench
	$(VENV)/bin/ruff format --check stormbridge streamparse pystorm tests bench
	$(VENV)/bin/mypy

.PHONY: bench
bench: install ## component benchmarks side by side with streamparse/pystorm -> docs/benchmarks.md
	$(PY) bench/run.py

.PHONY: bench-cluster
bench-cluster: storm ## end-to-end word count on a local Storm cluster, stormbridge vs streamparse
	$(PY) bench/cluster.py

.PHONY: bench-faults
bench-faults: storm ## fault matrix on a local Storm cluster: every fault in one run of 1,000,000 ids (docs/reliability.md)
	$(PY) bench/faults.py --only matrix --ids 1000000 --rate 1500 --timeout 1800

.PHONY: clean
clean: ## remove the virtualenv, caches and build output (not the Storm cache)
	rm -rf $(VENV) .bench build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache .hypothesis _build _resources
