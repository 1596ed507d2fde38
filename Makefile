# The two commands: `make demo` runs balm, `make test` checks it. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

# uv installs the same pinned packages as pip in about a third of the time (36 s against 117 s
# from a fresh clone here); pip takes over should uv itself not install.
UV := uv==0.13.9

$(STAMP): pyproject.toml package.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet $(UV) && \
	  $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]' || \
	  $(BIN)/pip install --quiet -e '.[dev]'
	npm install --silent --no-audit --no-fund
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/balm demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The whole suite on SQLite, then the web tests that reach the database again on a throwaway
# PostgreSQL server (docs/TESTING.md; under CI=true a missing PostgreSQL or Chromium is an
# error, never a skip).
test: lint
	$(BIN)/pytest -n 2 --dist loadgroup
	$(BIN)/python -m tests.support.pgcluster -- $(BIN)/pytest tests/web -q -n 2 --dist loadgroup --database-tests-only

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
