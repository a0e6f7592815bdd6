# dactl — the two commands of the README, plus lint and bench.
# Needs only Python 3.11+ and make: each target creates .venv when missing.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP_RUN := $(VENV)/.stamp-run
STAMP_DEV := $(VENV)/.stamp-dev

.PHONY: demo test lint bench bench-quick chaos dist clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "dactl needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(STAMP_DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(STAMP_RUN)

demo: $(STAMP_RUN)
	@$(BIN)/python scripts/demo.py

lint: $(STAMP_DEV)
	$(BIN)/ruff check reconciler tests scripts
	$(BIN)/mypy

# Unit tests (no server, no subprocess) with the coverage floor, then the tests that run
# the real CLI or a real sandbox. They mostly wait on sockets: four workers on two cores.
SERVER_TESTS := tests/e2e tests/sandbox tests/test_demo.py tests/test_cli.py
PYTEST := $(BIN)/python -m pytest -n 4 --dist loadfile -p no:cacheprovider

test: lint
	$(PYTEST) -m "not e2e" $(SERVER_TESTS:%=--ignore=%) --cov --cov-report=term:skip-covered \
		--cov-report=json:.coverage.json tests
	$(BIN)/python scripts/coverage_floor.py .coverage.json
	$(PYTEST) $(SERVER_TESTS)

# Whole processes against a sandbox process (about 20 minutes); writes docs/benchmarks.md.
bench: $(STAMP_DEV)
	$(BIN)/python scripts/bench.py

# Every scenario at small scale (100 and 500 actions), to check the harness; writes nothing.
bench-quick: $(STAMP_DEV)
	$(BIN)/python scripts/bench.py --quick

# The full chaos run: 300 changes under faults and a concurrent writer (make test runs ~40).
chaos: $(STAMP_DEV)
	DACTL_CHAOS_SIZE=300 $(BIN)/python -m pytest -m chaos -p no:cacheprovider

# The sdist and the wheel in dist/ (what `pip install` / `pipx install` take), built in an
# isolated environment, then checked: the README renders as the long description (twine),
# the metadata is complete, and both hold the schemas and CI templates read at run time.
dist: $(STAMP_DEV)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python scripts/check_dist.py dist

clean:
	rm -rf $(VENV) .dactl .demo build dist *.egg-info .coverage .coverage.json
