# Two commands do all the set-up: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NPM_STAMP := node_modules/.installed
# Programs from the machine, each installed from Debian with apt-get when missing (as root, or
# with password-less sudo); the one table of them is localcloud/system_tools.py.
ENSURE := $(BIN)/python -m localcloud.system_tools ensure
SETUP_TOOLS := node npm
# Neo4j (java, and mvn for its first jar fetch); the redis sidecar installs redis-server itself.
STACK_TOOLS := java mvn
# The stack's, then Redis for the tests' own servers, the media and the browser tests.
TEST_TOOLS := $(STACK_TOOLS) redis-server ffmpeg ffprobe chromium

# The suite in parallel (pytest-xdist). Tests stay together by module (module fixtures start
# once) in the order tests/conftest.py gives them, long-running modules first; the workers
# share one set of servers (tests/shared_stack.py). Four workers on the 2-core machine for the
# whole suite (its tests wait on servers much of the time), three for `make unit` (CPU-bound:
# more only contend); bench/RESULTS.md, "Test suite". PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 4
UNIT_WORKERS ?= 3
PARALLEL := -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder

.PHONY: run test suite lint typecheck unit setup down status bench bench-load bench-playback clean deploy deploy-check

setup: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# uv installs the same packages as pip from the same index, in seconds instead of a minute;
	@# compiled now, or the suite's first processes all compile the same modules at once
	$(BIN)/python -m pip install -q 'uv>=0.9,<1'
	$(BIN)/python -m uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'
	@touch $@

$(NPM_STAMP): package.json package-lock.json | $(PY_STAMP)
	$(ENSURE) $(SETUP_TOOLS)
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p chalicelib/web/static/vendor
	cp node_modules/dashjs/dist/modern/umd/dash.all.min.js chalicelib/web/static/vendor/
	@touch $@

run: setup
	$(ENSURE) $(STACK_TOOLS)
	$(BIN)/notflix up

status: setup
	$(BIN)/notflix status

down: setup
	$(BIN)/notflix down

lint: $(PY_STAMP)
	$(BIN)/ruff check .

typecheck: $(PY_STAMP)
	$(BIN)/mypy

# mypy runs beside the suite (its ~15 s fit in the suite's first minute, spent starting
# servers); either failing fails `make test`.
test: setup lint
	$(ENSURE) $(TEST_TOOLS)
	$(MAKE) --no-print-directory -j2 typecheck suite

suite: $(PY_STAMP)
	$(BIN)/pytest $(PARALLEL)

unit: $(PY_STAMP)
	$(BIN)/pytest -n $(UNIT_WORKERS) --dist loadscope -m "not integration"

bench: setup
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.auth
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.catalogue_import
	$(BIN)/python -m bench.imdb_import
	$(BIN)/python -m bench.search
	$(BIN)/python -m bench.encode --rounds 3
	$(BIN)/python -m bench.recs
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.dashboard
	$(BIN)/python -m bench.cost
	$(MAKE) bench-load
	$(MAKE) bench-playback

# Against `make run`'s stack: uses a running one, else starts one for the run and stops it.
bench-load: setup
	$(BIN)/python -m bench.load --start-stack

# A viewer in headless Chromium: video start and rebuffering, measured and as the telemetry
# recorded them (`make run`'s stack, started for the run when none answers).
bench-playback: setup
	$(BIN)/python -m bench.playback --start-stack

# Deploy to AWS with your AWS credentials (README: "Deploying to AWS"). DRY_RUN=1 or
# `make deploy-check` packages and lints everything without touching AWS. PREFIX (only from
# the command line: the environment's PREFIX is often an install path) must be the stage's.
STAGE ?= dev
REGION ?=
PREFIX ?=
ENCODER_IMAGE_URI ?=
ENCODER_CONCURRENCY ?= 5
ALERT_EMAIL ?=
DRY_RUN ?=
DEPLOY_ARGS = --stage $(STAGE) --encoder-concurrency $(ENCODER_CONCURRENCY) \
	$(if $(REGION),--region $(REGION)) \
	$(if $(filter command line,$(origin PREFIX)),--prefix $(PREFIX)) \
	$(if $(ENCODER_IMAGE_URI),--encoder-image $(ENCODER_IMAGE_URI)) \
	$(if $(ALERT_EMAIL),--alert-email $(ALERT_EMAIL)) $(if $(DRY_RUN),--dry-run)

deploy: $(PY_STAMP)
	$(BIN)/python -m infra.deploy_aws $(DEPLOY_ARGS)

deploy-check: $(PY_STAMP)
	$(BIN)/python -m infra.deploy_aws $(DEPLOY_ARGS) --dry-run

clean:
	rm -rf .local/logs .local/run
