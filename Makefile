# Trading Hive — `make help` lists the targets.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

UV_VERSION ?= 0.13.8
PYTHON ?= python3
# uv from PATH, else the one `make` installs from PyPI into this Python (run as a module).
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
HIVE := $(UV) run --frozen hive
PYTEST := $(UV) run --frozen pytest
TYPED := libs/hive/src $(wildcard services/*/src) tools/hive-cli/src

.PHONY: help
help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# ---- setup -------------------------------------------------------------------------------
.PHONY: setup
setup: .venv/.synced ## Install everything (system packages, Python env, servers) — idempotent
	@bash scripts/install-system-deps.sh
	@$(HIVE) infra install

.venv/.synced: pyproject.toml uv.lock $(wildcard libs/*/pyproject.toml services/*/pyproject.toml tools/*/pyproject.toml)
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)" \
		|| $(PYTHON) -m pip install --quiet --user --break-system-packages "uv==$(UV_VERSION)"
	@$(UV) sync --frozen --all-packages
	@touch $@

# ---- the hive ----------------------------------------------------------------------------
.PHONY: run run-services report
run: setup ## The whole hive: servers, topics, schemas, 8 services, the sample year replayed, summary, dashboard (Ctrl-C stops)
	@$(HIVE) replay
run-services: setup ## Only start the servers and the eight supervised services (no replay)
	@$(HIVE) run
report: .venv/.synced ## HTML report of what the hive's topics hold -> .hive/reports/report.html
	@$(HIVE) report --out .hive/reports/report.html

.PHONY: up down status
up: setup ## Start the local servers (Kafka, registry, OPA, PostgreSQL, Prometheus)
	@$(HIVE) infra up
down: ## Stop the local servers
	@$(HIVE) infra down
status: ## Show the local servers
	@$(HIVE) infra status

# ---- quality -----------------------------------------------------------------------------
.PHONY: lint fmt typecheck
lint: .venv/.synced ## ruff lint + format check
	@$(UV) run --frozen ruff check libs services tools tests bench
	@$(UV) run --frozen ruff format --check libs services tools tests bench
fmt: .venv/.synced ## Format and autofix
	@$(UV) run --frozen ruff format libs services tools tests bench
	@$(UV) run --frozen ruff check --fix libs services tools tests bench
typecheck: .venv/.synced ## mypy --strict on libs/, services/ and tools/
	@$(UV) run --frozen mypy $(TYPED)

.PHONY: deploy-check
deploy-check: .venv/.synced ## Dockerfile, compose, Helm chart and Prometheus rules checked with the real tools (offline)
	@bash scripts/deploy-check

# ---- tests -------------------------------------------------------------------------------
.PHONY: test test-unit test-contract test-integration test-e2e
test: setup lint typecheck deploy-check ## Everything: lint, types, deployment checks and all test tiers on the real servers
	@$(HIVE) infra up
	@$(PYTEST) -m "unit or contract or integration or e2e" tests
test-unit: .venv/.synced ## Unit tests only (no servers)
	@$(PYTEST) -m unit tests
test-contract: setup ## Contract tests on the real schema registry
	@$(PYTEST) -m contract tests
test-integration: setup ## Integration tests on real Kafka/OPA/PostgreSQL
	@$(PYTEST) -m integration tests
test-e2e: setup ## End-to-end tests
	@$(PYTEST) -m e2e tests

# ---- benchmarks --------------------------------------------------------------------------
.PHONY: bench-relay bench bench-hive chaos fuzz
bench-relay: setup ## Runtime relay vs bare confluent-kafka relay -> bench/results/relay.json
	@$(UV) run --frozen python bench/relay/run.py
bench-hive: setup ## Hive latency at 50 signals/s and max throughput vs a bare relay chain -> bench/results/hive.json
	@$(HIVE) infra up
	@$(UV) run --frozen python bench/hive/run.py
chaos: setup ## Full-year chaos drill, 3 disturbed runs in a row (kill every service, restart Kafka) -> bench/results/chaos.json
	@$(HIVE) infra up
	@$(UV) run --frozen python bench/chaos/run.py
fuzz: setup ## 100,000 malformed raw messages and 100,000 hub API requests -> bench/results/fuzz.json
	@$(HIVE) infra up
	@$(UV) run --frozen python bench/fuzz/run.py --raw 100000 --hub 100000
bench: setup ## Every benchmark in bench/ -> bench/results/*.json
	@$(HIVE) infra up
	@for b in bench/*/run.py; do echo "== $$b"; $(UV) run --frozen python $$b; done

# ---- cleaning ----------------------------------------------------------------------------
.PHONY: clean
clean: ## Stop the servers and delete all local state (.hive/); downloads stay cached
	-@$(HIVE) infra down
	rm -rf .hive .pytest_cache .mypy_cache .ruff_cache .hypothesis
