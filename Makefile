# OHMS: two commands for a newcomer, `make run` and `make test`.
# Everything is installed into the checkout (.venv/, node_modules/) and skipped when current.

SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
OHMS_HOST ?= 127.0.0.1
OHMS_PORT ?= 8000
OHMS_DATA_DIR ?= $(CURDIR)/.ohms
export OHMS_HOST OHMS_PORT OHMS_DATA_DIR

NODE_STAMP := $(if $(wildcard package.json),node_modules/.stamp)
IPFS_STAMP := $(if $(wildcard scripts/services/ipfs/package.json),scripts/services/ipfs/node_modules/.stamp)

# The clinic portal: its npm packages, the API's OpenAPI document its typed client is made
# from, and its build (clinic_portal/dist, served at / by ohms serve). Rebuilt when its
# sources or the API change.
PORTAL := clinic_portal
PORTAL_STAMP := $(PORTAL)/node_modules/.stamp
PORTAL_API := $(PORTAL)/openapi.json
PORTAL_BUILD := $(PORTAL)/dist/index.html
API_SOURCES := $(shell find api -name '*.py' -not -path '*/__pycache__/*')
PORTAL_SOURCES := $(shell find $(PORTAL)/src $(PORTAL)/build-tools -type f -not -name schema.d.ts 2>/dev/null) \
	$(wildcard $(PORTAL)/index.html $(PORTAL)/vite.config.ts $(PORTAL)/tsconfig*.json)

.PHONY: run test deps python-deps node-deps system-deps portal lint typecheck unit clean

run: python-deps $(NODE_STAMP) portal
	$(VENV)/bin/ohms migrate
	$(VENV)/bin/ohms seed-demo
	$(VENV)/bin/ohms serve --host $(OHMS_HOST) --port $(OHMS_PORT)

# Two test processes (this machine has two cores), a file each at a time; the slowest shown.
PYTEST_WORKERS ?= 2

test: deps portal
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	cd $(PORTAL) && npm run --silent lint && npm run --silent typecheck && npm test --silent
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 $(PYTEST_ARGS)

deps: system-deps python-deps $(NODE_STAMP) $(IPFS_STAMP)

python-deps: $(VENV)/.stamp

$(VENV)/.stamp: pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || { echo "Python 3.11 is required (umbral-pre ships wheels for CPython 3.11 only)"; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

node_modules/.stamp: package.json $(wildcard package-lock.json)
	npm install --no-audit --no-fund
	@touch $@

portal: $(PORTAL_BUILD)

$(PORTAL_STAMP): $(PORTAL)/package.json $(PORTAL)/package-lock.json
	cd $(PORTAL) && npm ci --no-audit --no-fund
	@touch $@

# The document is rewritten only when it changed, so an API change that leaves it as it was
# rebuilds nothing; the stamp records that it was checked.
$(PORTAL)/.openapi.stamp: $(VENV)/.stamp $(API_SOURCES)
	$(PY) scripts/export_openapi.py $(PORTAL_API)
	@touch $@

$(PORTAL_BUILD): $(PORTAL_STAMP) $(PORTAL)/.openapi.stamp $(PORTAL)/package.json $(PORTAL_SOURCES)
	cd $(PORTAL) && npm run --silent gen:api && npm run --silent build

scripts/services/ipfs/node_modules/.stamp: scripts/services/ipfs/package.json $(wildcard scripts/services/ipfs/package-lock.json)
	cd scripts/services/ipfs && npm install --omit=optional --no-audit --no-fund
	@touch $@

system-deps:
	@bash scripts/install_system_deps.sh

clean:
	rm -rf $(VENV) node_modules scripts/services/ipfs/node_modules .mypy_cache .ruff_cache .pytest_cache \
		$(PORTAL)/node_modules $(PORTAL)/dist $(PORTAL)/openapi.json $(PORTAL)/.openapi.stamp
