# Switchboard: `make serve` runs the platform locally, `make test` runs the whole suite.
# Both set up everything they need first: a virtual environment with pinned dependencies.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
UV_VERSION := 0.13.8
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
STAMP := $(VENV)/.installed
SAM_STAMP := $(SAM_VENV)/.installed
# Lambda's runtime; the layer's wheels are chosen for it, whatever Python builds them.
LAMBDA_PYTHON := 3.12
LAMBDA_PLATFORM := x86_64-manylinux_2_28

.DEFAULT_GOAL := help
.PHONY: help setup serve test test-fast lint template-check build compile-layer lock bench clean browser

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(UV) requirements/dev.lock pyproject.toml clients/python/pyproject.toml
	$(UV) pip sync --quiet --compile-bytecode --python $(BIN)/python requirements/dev.lock
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps -e .
	$(UV) pip install --quiet --compile-bytecode --python $(BIN)/python --no-deps -e clients/python
	touch $@

$(SAM_STAMP): $(UV) requirements/sam.lock
	$(PYTHON) -m venv $(SAM_VENV)
	$(UV) pip sync --quiet --python $(SAM_VENV)/bin/python requirements/sam.lock
	touch $@

# The official OpenAI Node SDK, pinned, for tests/system/test_node_sdk.py (skipped without node).
NODE_SDK := tests/sdk-node/node_modules/.package-lock.json
$(NODE_SDK): tests/sdk-node/package-lock.json
	@if command -v npm >/dev/null; then \
	  cd tests/sdk-node && npm ci --no-audit --no-fund --loglevel=error; \
	else echo "note: no npm here: the Node SDK tests will be skipped"; fi

# Debian's Chromium for the console's browser tests (tests/browser), driven by the pinned
# playwright package; never `playwright install`, which downloads a browser. Without root or
# apt-get the browser tests are skipped, saying why.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's chromium for the browser tests (about a minute)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
	    echo "note: chromium could not be installed: the browser tests will be skipped"; \
	  else echo "note: no $(CHROMIUM) (apt-get install chromium as root): browser tests skipped"; fi; \
	fi

setup: $(STAMP) ## Create the virtual environment with pinned dependencies

serve: $(STAMP) ## Run the whole platform locally (emulated AWS, local models) on http://127.0.0.1:8000
	$(BIN)/switchboard serve

test: $(STAMP) $(SAM_STAMP) $(NODE_SDK) browser lint template-check ## Set up and run the whole suite
	$(BIN)/pytest -n 2 --dist loadgroup

test-fast: $(STAMP) ## Unit, adapter and API tests only (no system tests)
	$(BIN)/pytest -n 2 --dist loadgroup -m "not system"

lint: $(STAMP) ## ruff, mypy and the layers' import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

template-check: $(STAMP) $(SAM_STAMP) ## cfn-lint and sam validate --lint on template.yaml
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml --region us-east-1

build: $(SAM_STAMP) ## sam build (no matching Python needed: wheels are fetched for Lambda)
	$(SAM) build --template template.yaml

# Called by `sam build` for the layer (BuildMethod: makefile, ContextPath: .). SAM runs make in a
# scratch copy of layers/core with ARTIFACTS_DIR set, so the recipe first moves to this
# Makefile's directory, where the lock file and pyproject.toml are.
build-CoreLayer:
	cd "$(dir $(abspath $(firstword $(MAKEFILE_LIST))))" && \
	$(MAKE) --silent --no-print-directory $(UV) && \
	$(UV) pip install --quiet --target "$(ARTIFACTS_DIR)/python" \
	  --python-version $(LAMBDA_PYTHON) --python-platform $(LAMBDA_PLATFORM) \
	  --only-binary :all: -r requirements/lambda.lock && \
	$(UV) pip install --quiet --target "$(ARTIFACTS_DIR)/python" --no-deps \
	  --python-version $(LAMBDA_PYTHON) --python-platform $(LAMBDA_PLATFORM) . && \
	rm -rf "$(ARTIFACTS_DIR)/python/bin" && \
	$(MAKE) --silent --no-print-directory compile-layer LAYER_DIR="$(ARTIFACTS_DIR)/python"

# The video renderer's own layer: PyAV and Pillow (layers/video/requirements.txt), about
# 100 MB, kept out of CoreLayer. For template.yaml to declare like CoreLayer (ContentUri:
# layers/video, BuildMethod: makefile); the renderer's function takes both layers.
build-VideoLayer:
	cd "$(dir $(abspath $(firstword $(MAKEFILE_LIST))))" && \
	$(MAKE) --silent --no-print-directory $(UV) && \
	$(UV) pip install --quiet --target "$(ARTIFACTS_DIR)/python" \
	  --python-version $(LAMBDA_PYTHON) --python-platform $(LAMBDA_PLATFORM) \
	  --only-binary :all: -r layers/video/requirements.txt && \
	rm -rf "$(ARTIFACTS_DIR)/python/bin" && \
	$(MAKE) --silent --no-print-directory compile-layer LAYER_DIR="$(ARTIFACTS_DIR)/python"

# /opt is read-only in Lambda, so bytecode the layer lacks is compiled again at every cold
# start (about 250 ms for boto3 alone). Only the runtime's own Python version can compile it:
# python3.12 on PATH, or one that pyenv keeps.
LAMBDA_PY_BIN = $(shell for p in python$(LAMBDA_PYTHON) $$HOME/.pyenv/versions/$(LAMBDA_PYTHON)*/bin/python$(LAMBDA_PYTHON); do \
  "$$p" -c '' 2>/dev/null && { echo "$$p"; break; }; done)

compile-layer:
	@py="$(LAMBDA_PY_BIN)"; if [ -n "$$py" ]; then \
	  "$$py" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(LAYER_DIR)"; \
	  echo "layer bytecode compiled with $$("$$py" --version)"; \
	else \
	  echo "note: no python$(LAMBDA_PYTHON) found: the layer ships without bytecode (slower cold starts)"; \
	fi

lock: $(UV) ## Re-pin every dependency after changing pyproject.toml
	$(UV) pip compile --quiet pyproject.toml --extra local --extra video --extra dev --python-version 3.11 -o requirements/dev.lock
	$(UV) pip compile --quiet pyproject.toml --python-version $(LAMBDA_PYTHON) --python-platform $(LAMBDA_PLATFORM) -o requirements/lambda.lock
	$(UV) pip compile --quiet layers/video/requirements.in -c requirements/dev.lock --python-version $(LAMBDA_PYTHON) --python-platform $(LAMBDA_PLATFORM) -o layers/video/requirements.txt
	$(UV) pip compile --quiet requirements/sam.in --python-version 3.11 -o requirements/sam.lock

bench: $(STAMP) build ## Run the benchmarks and print their figures
	$(BIN)/python benchmarks/cold_start.py
	$(BIN)/python benchmarks/cold_start.py --layer
	$(BIN)/python benchmarks/gateway_overhead.py
	$(BIN)/python benchmarks/metering_overhead.py
	$(BIN)/python benchmarks/dynamodb_client.py
	$(BIN)/python benchmarks/batch_throughput.py
	$(BIN)/python benchmarks/retrieval_quality.py

clean: ## Remove environments and build output
	rm -rf $(VENV) $(SAM_VENV) .aws-sam tests/sdk-node/node_modules
