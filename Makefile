# Quantera — every target installs what it needs first (idempotent: a second run does nothing).
# Nothing is assumed beyond Python 3.11, Node 20 and npm.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

PYTHON      ?= $(shell command -v python3.11 || command -v python3)
VENV        := .venv
BIN         := $(VENV)/bin
SOLC_VERSION := 0.8.28
SOLCX_DIR   := $(CURDIR)/$(VENV)/solcx
SOLC_FRONT  := $(SOLCX_DIR)/solc-v$(SOLC_VERSION)
DEMO_BLOCKS ?= 40

# py-solc-x finds the solc-js front here; ape-foundry finds anvil on PATH.
export SOLCX_BINARY_PATH := $(SOLCX_DIR)
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export PYTHONUNBUFFERED := 1

PY_STAMP   := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: FORCE install build sizes layouts lint lint-python lint-solidity lint-alerts prometheus chromium system-packages test test-demo test-contracts test-contracts-lifecycle-stateful test-contracts-lifecycle test-contracts-core test-keepers test-keepers-core test-keepers-markets test-deploys test-drills redis-server bench demo audit audit-check clean lock help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-15s %s\n", $$1, $$2}'

# The pinned tree (requirements.lock) is installed by uv (pinned here, itself from PyPI): from a cold
# cache it takes about a minute where pip took about three (parallel downloads and unpacking, the
# bytecode compiled on every core). The same packages at the same versions (`uv pip freeze` equals
# the lock). The project itself is installed editable by pip (no build backend to fetch).
UV_VERSION := 0.13.9
UV         := $(BIN)/uv

$(PY_STAMP): pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "Python 3.11 is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(UV) pip install --python $(BIN)/python --quiet --compile-bytecode -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python tools/install_toolchain_pth.py "$(SOLCX_DIR)" "$(CURDIR)/node_modules/.bin"
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

$(SOLC_FRONT): tools/solc/solc-front.js $(NODE_STAMP) $(PY_STAMP)
	mkdir -p $(SOLCX_DIR)
	printf '#!/bin/sh\nexec node "%s" "$$@"\n' "$(CURDIR)/tools/solc/solc-front.js" > $@
	chmod +x $@
	$@ --version | grep -q "Version: $(SOLC_VERSION)+commit"

install: $(PY_STAMP) $(NODE_STAMP) $(SOLC_FRONT) ## Create .venv and node_modules from the pins, install the solc front

# Morpho Blue, the prime-brokerage baseline, from its npm package's source: pinned to solc 0.8.19,
# so compiled by the solc-js 0.8.19 installed under the npm alias `solc-0.8.19` at Morpho's own
# settings (tools/solc/build-morpho.js), not by ape (whose tree is 0.8.28). Loaded by
# keepers/prime/morpho_artifacts.py.
MORPHO_BUILD := .build/morpho/Morpho.json
$(MORPHO_BUILD): tools/solc/build-morpho.js $(NODE_STAMP)
	node tools/solc/build-morpho.js $(dir $@)

# ape-solidity unpacks the dependencies into contracts/.cache, and ape lists only the first 500
# files under contracts/ (in the filesystem's order): with the 434 dependency files in there, which
# of the project's own sources made the build depended on the machine. contracts/.cache is
# therefore a committed symlink to .ape-dependencies/, which ape's listing does not follow; a tree
# built before it was one gets it back here. tests/keepers/core/test_build_manifest.py checks the
# build holds every source.
DEPENDENCY_CACHE := contracts/.cache
$(DEPENDENCY_CACHE): FORCE
	@test -L $@ || { rm -rf $@ && ln -s ../.ape-dependencies $@; }
	@mkdir -p .ape-dependencies

FORCE:

# ape's incremental compile does not recompile a contract when only a base it inherits through
# another file changed (a stale PrimeBroker ABI beside a new PrimeLayout). So the build keeps a
# hash of every source and of ape-config.yaml: when it differs from the last build's, everything
# is compiled again (--force); when it matches, `ape compile` compiles nothing.
SOURCES_STAMP := .build/.sources.sha256
build: install $(MORPHO_BUILD) $(DEPENDENCY_CACHE) ## Install if needed, then compile the contracts (and Morpho Blue)
	@sum=$$(find contracts interfaces -name '*.sol' -not -path 'contracts/.cache/*' | LC_ALL=C sort \
		| xargs sha256sum ape-config.yaml | sha256sum | cut -c1-64); \
	if [ -f .build/__local__.json ] && [ "$$(cat $(SOURCES_STAMP) 2>/dev/null)" = "$$sum" ]; then \
		$(BIN)/ape compile; \
	else \
		echo "sources changed since the last build (or no record of it): compiling everything"; \
		$(BIN)/ape compile --force && echo "$$sum" > $(SOURCES_STAMP); \
	fi

sizes: build ## Record every deployable contract's runtime size in benchmarks/contract_sizes.json
	$(BIN)/python scripts/bench_sizes.py

# Only when a release is deployed: the deployed version's storage layouts, which `make test` then
# holds every build to (tests/contracts/libraries/test_storage_layouts.py, UPG-1).
layouts: install ## Record the storage layouts of the contracts upgraded in place as the deployed version's
	$(BIN)/python scripts/storage_layouts.py --record

# Static checks, in seconds: ruff (lint rules and formatting, configured in pyproject.toml) over the
# Python tree, and forge's formatter (foundry.toml [fmt]) over the Solidity sources; it only parses,
# never compiles. `make test` runs them first.
lint: lint-python lint-solidity lint-alerts ## Check Python (ruff) and Solidity (forge fmt) style, and the alert rules; rewrites nothing

# The alert rules (ops/prometheus): promtool checks them and runs their unit tests (each alert fires
# on the series that should fire it), and checks the example scrape configuration. promtool comes
# with Debian's `prometheus` package (`make prometheus`, as root); without it, under CI, this fails.
lint-alerts:
	@if command -v promtool >/dev/null; then \
	  promtool check rules ops/prometheus/alerts.yml && \
	  promtool test rules ops/prometheus/alerts.test.yml && \
	  promtool check config ops/prometheus/prometheus.yml; \
	else echo "promtool is not installed (apt-get install prometheus): the alert rules are not checked" >&2; \
	  test -z "$(CI)"; fi

lint-python: $(PY_STAMP) ## Only the Python half of lint: ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The project's own sources only: `find` does not follow contracts/.cache, the symlink to ape's
# unpacked dependencies (OpenZeppelin, Chainlink), which are not ours to format.
lint-solidity: $(NODE_STAMP) ## Only the Solidity half of lint: forge fmt --check on contracts/ and interfaces/
	forge fmt --check $$(find contracts interfaces -name '*.sol' | sort)

# Ten jobs at once (each test job starts its own anvils on ports of their choosing and its own
# PostgreSQL on a Unix socket): the contract suite in four; the keeper tests that mostly wait on
# running processes and 1-second blocks — the demo, the live deployments, the fault drills — each
# its own job, beside the quick keeper suite (in two); and slither (`make audit`: under 2 CPU-minutes, no
# chain, writes nothing the tests read). Most of each test job waits on a chain, so they share two
# cores.
# Each job's output is printed whole when it ends, so they never interleave; the slowest tests of
# each job are listed.
# test-demo: the console's tests that read the session's one served demo (its pages in chromium,
# its GraphQL, the CLI against it), then the demo test that stops and checks it (given last). The
# console's other tests bring their own chain or none, and the deploy script's and the failing
# demo's tests start their own anvils: they run in test-deploys, beside it, so the served demo's
# job holds only what needs it (tests/keepers/demo/test_make_jobs.py checks every console test
# file is in one job, by the fixtures it uses).
CONSOLE_DEMO_TESTS := $(addprefix tests/keepers/console/test_,$(addsuffix .py,compliance_page \
  console_cli funds_page governance_page graphql liquidity_page manager_page prime_page \
  readme_cli risk_page))
BOUNDED_DEMO_TEST := tests/keepers/demo/test_deploy_and_demo.py::test_demo__bounded_blocks__exits_zero_all_checks_pass_and_leaves_no_process
KEEPER_DEMO_TESTS := $(CONSOLE_DEMO_TESTS) $(BOUNDED_DEMO_TEST)
KEEPER_DEPLOY_TESTS := tests/keepers/deploy/test_deploy_live.py \
  $(filter-out $(CONSOLE_DEMO_TESTS),$(wildcard tests/keepers/console/test_*.py)) \
  tests/keepers/demo/test_deploy_and_demo.py
KEEPER_DRILL_TESTS := tests/keepers/core/test_fault_drills.py \
  tests/keepers/lifecycle/test_lifecycle_drill.py

# First what the jobs need, at once where it can be: uv's installs (.venv, then .venv-audit once the
# solc front is there) beside npm's and Morpho's build, and the Debian packages (one apt-get after
# the other: two at once would contend for dpkg's lock); then lint and the compile; then the jobs,
# the static analysis (`make audit`, red on any unreviewed medium/high finding) among them.
# The jobs share one folder for the run (QUANTERA_TEST_SHARED_DIR, removed at the end): the keeper
# tests' deployment is made there once for three jobs (tests/keepers/shared_deployment.py).
WITH_SHARED_DIR := shared=$$(mktemp -d "$${TMPDIR:-/tmp}/quantera-test-shared.XXXXXX") && \
  trap 'rm -rf "$$shared"' EXIT && QUANTERA_TEST_SHARED_DIR=$$shared
test: ## Install, lint, build, then run every test and the audit (contract suites, keeper suite, deployment/demo and drill tests, slither, in parallel)
	$(MAKE) --no-print-directory -j3 --output-sync=target install $(AUDIT_STAMP) $(MORPHO_BUILD) system-packages
	$(MAKE) --no-print-directory lint build
	$(WITH_SHARED_DIR) \
	$(MAKE) --no-print-directory -j10 --output-sync=target SYSTEM_PACKAGES_CHECKED=1 \
	  test-demo test-contracts-lifecycle-stateful test-contracts-lifecycle test-contracts-core \
	  test-contracts-markets test-deploys test-keepers-core test-keepers-markets test-drills audit

system-packages:
	@$(MAKE) --no-print-directory chromium
	@$(MAKE) --no-print-directory redis-server
	@$(MAKE) --no-print-directory prometheus

# The contract suite in four processes (each its own anvil), longest first: the lifecycle state
# machines, the rest of the lifecycle suite, the other domains in two. Most of each waits on anvil, so
# they share the two cores well (one lifecycle job had become the critical path of a fresh-clone
# run: 20m46s). `test-contracts` runs the whole suite in one.
LIFECYCLE_STATEFUL := $(wildcard tests/contracts/lifecycle/test_*_stateful.py)
test-contracts: build
	$(BIN)/ape test tests/contracts -q --durations=10

test-contracts-lifecycle-stateful: build
	$(BIN)/ape test $(LIFECYCLE_STATEFUL) -q --durations=5

test-contracts-lifecycle: build
	$(BIN)/ape test tests/contracts/lifecycle -q --durations=5 $(addprefix --ignore=,$(LIFECYCLE_STATEFUL))

# Outside the lifecycle, two jobs by domain (one job had become the run's tail, the last five
# minutes of a fresh-clone run on one core while the other idled): CONTRACT_CORE_DOMAINS and the
# rest (CONTRACT_MARKET_DOMAINS). test_make_jobs checks every folder of tests/contracts/ is in one.
CONTRACT_CORE_DOMAINS := access compliance identity libraries oracles rebalancing risk token vault
CONTRACT_MARKET_DOMAINS := liquidity prime
test-contracts-core: build
	$(BIN)/ape test $(addprefix tests/contracts/,$(CONTRACT_CORE_DOMAINS)) -q --durations=5

test-contracts-markets: build
	$(BIN)/ape test $(addprefix tests/contracts/,$(CONTRACT_MARKET_DOMAINS)) -q --durations=5

# The quick keeper suite in two jobs by domain (as one, it was the last job of every fresh-clone run
# since 518d757, its last 100-125 s alone on one core while the other idled): KEEPER_MARKET_DOMAINS
# (the prime, rebalancing and liquidity keepers: 170 of the suite's 338 s alone at 954df32) and
# KEEPER_CORE_DOMAINS (the rest). The console's tests, the live deployments and the drills run in
# their own jobs, above. test_make_jobs checks every folder of tests/keepers is in one.
# build first: the tests run `ape run`, which must not start a second compile of its own.
KEEPER_CORE_DOMAINS := access analytics compliance core demo deploy lifecycle reports risk
KEEPER_MARKET_DOMAINS := liquidity prime rebalancing
KEEPER_OWN_JOBS := $(addprefix --ignore=,$(KEEPER_DEPLOY_TESTS) $(KEEPER_DRILL_TESTS))
test-keepers: build ## The quick keeper suite: its two jobs at once, on one deployment (as in `make test`)
	$(WITH_SHARED_DIR) \
	$(MAKE) --no-print-directory -j2 --output-sync=target test-keepers-core test-keepers-markets

test-keepers-core: build
	$(BIN)/pytest $(addprefix tests/keepers/,$(KEEPER_CORE_DOMAINS)) -q -p no:ape_test \
	  --durations=5 $(KEEPER_OWN_JOBS)

test-keepers-markets: build
	$(BIN)/pytest $(addprefix tests/keepers/,$(KEEPER_MARKET_DOMAINS)) -q -p no:ape_test \
	  --durations=5 $(KEEPER_OWN_JOBS)

test-demo: build chromium
	$(BIN)/pytest $(KEEPER_DEMO_TESTS) -q -p no:ape_test --durations=5 -rs

test-deploys: build
	$(BIN)/pytest $(KEEPER_DEPLOY_TESTS) -q -p no:ape_test --durations=5 \
	  --deselect $(BOUNDED_DEMO_TEST)

test-drills: build redis-server
	$(BIN)/pytest $(KEEPER_DRILL_TESTS) -q -p no:ape_test --durations=5

# The keeper drills run silverback's distributed runner on Debian's redis-server (the test starts and
# stops its own on a Unix socket). Installed here when missing and we are root with apt-get (CI);
# otherwise that one drill is skipped and says why.
# The console's browser tests drive Debian's chromium with Playwright (Playwright's own browser
# download is impossible here). Installed when missing and we are root with apt-get (CI); otherwise
# those tests are skipped, loudly (`-rs` prints the reason).
# Each installs its Debian package when missing (as root with apt-get). Under `make test` both
# were tried once, one after the other, before the jobs (SYSTEM_PACKAGES_CHECKED): the jobs do not
# try again at the same time.
chromium:
	@test -n "$(SYSTEM_PACKAGES_CHECKED)" || test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "chromium could not be installed: the console's browser tests will be skipped" >&2; \
	  else echo "chromium is not installed (apt-get install chromium): the console's browser tests will be skipped" >&2; fi; }

redis-server:
	@test -n "$(SYSTEM_PACKAGES_CHECKED)" || command -v redis-server >/dev/null || test -x /usr/bin/redis-server || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null) \
	      || echo "redis-server could not be installed: the distributed-runner drill will be skipped" >&2; \
	  else echo "redis-server is not installed (apt-get install redis-server): the distributed-runner drill will be skipped" >&2; fi; }

prometheus:
	@test -n "$(SYSTEM_PACKAGES_CHECKED)" || command -v promtool >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null) \
	      || echo "prometheus could not be installed: promtool will not check the alert rules" >&2; \
	  else echo "prometheus is not installed (apt-get install prometheus): promtool will not check the alert rules" >&2; fi; }

bench: sizes ## Measure gas from real receipts on anvil into benchmarks/ (and the contract sizes)
	$(BIN)/ape run bench
	$(BIN)/ape run bench_liquidity
	$(BIN)/ape run bench_rebalance
	$(BIN)/ape run bench_nav_rebalance
	$(BIN)/python scripts/on_plain_anvil.py -- $(BIN)/ape run bench_bulk_rebalance
	$(BIN)/ape run bench_day_count
	$(BIN)/ape run bench_lifecycle
	$(BIN)/ape run bench_fund
	$(BIN)/python scripts/on_plain_anvil.py -- $(BIN)/ape run bench_income
	$(BIN)/python scripts/on_plain_anvil.py -- $(BIN)/ape run bench_prime
	$(BIN)/python scripts/bench_var.py
	$(BIN)/python scripts/bench_analytics.py
	$(BIN)/python scripts/bench_console.py
	$(BIN)/python scripts/bench_cli.py
	$(BIN)/python scripts/bench_reports.py

# Slither lives in its own venv: its web3 6 / eth-account pins clash with eth-ape's.
AUDIT_VENV  := .venv-audit
AUDIT_STAMP := $(AUDIT_VENV)/.installed

$(AUDIT_STAMP): tools/audit/requirements.lock $(SOLC_FRONT)
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(UV) pip install --python $(AUDIT_VENV)/bin/python --quiet --compile-bytecode \
	  -r tools/audit/requirements.lock
	ln -sf "$(SOLC_FRONT)" $(AUDIT_VENV)/bin/solc
	touch $@

# A run saves slither's raw results (AUDIT_RESULTS): `make audit-check` re-checks the triage against
# them in a second, so reviewing findings costs no further slither run.
AUDIT_RESULTS ?= reports/audit/slither.json

audit: $(AUDIT_STAMP) ## Static analysis (slither) of contracts/: fails on any medium/high finding not reviewed in tools/audit/triage.json
	$(AUDIT_VENV)/bin/python tools/audit/slither_check.py --save $(AUDIT_RESULTS)

audit-check: ## Re-check tools/audit/triage.json against the last `make audit`'s saved results, without running slither
	$(PYTHON) tools/audit/slither_check.py --results $(AUDIT_RESULTS)

demo: build ## Start a private anvil, deploy, run the acts and their keepers for DEMO_BLOCKS blocks, summarise (ACTS="prime ...": those acts only; SERVE=1: then keep it up for `quantera console`)
	$(BIN)/ape run demo --blocks $(DEMO_BLOCKS) $(if $(SERVE),--serve) $(addprefix --act ,$(ACTS))

lock: $(PY_STAMP) ## Re-freeze the Python dependency tree into requirements.lock
	{ echo "# Full pinned dependency tree for the quantera venv (pip freeze). Regenerate with \`make lock\`."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v -e '^quantera' -e '^uv=='; } > requirements.lock

clean: ## Remove build outputs and the installed toolchain
	rm -rf .build .cache $(VENV) $(AUDIT_VENV) node_modules reports .pytest_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

print-%: ## Print a make variable's value (e.g. `make print-KEEPER_DEMO_TESTS`; the tests read the jobs' file lists this way)
	@echo $($*)
