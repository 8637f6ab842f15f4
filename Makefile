# communique — two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck clean lock

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

run: install
	$(BIN)/communique code --input examples/articles.jsonl
	$(BIN)/communique ingest examples/articles.jsonl --db communique.db
	$(BIN)/communique events --db communique.db --dyad USA CHN --limit 10

test: install
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check src tests scripts benchmarks

typecheck: install
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info

# Re-pin every dependency from a fresh resolution of pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[dev]' 'setuptools>=77' wheel
	{ echo "# Pinned versions of every dependency (runtime and development). Regenerate with: make lock"; \
	  .lockvenv/bin/pip freeze --all --exclude-editable | grep -v '^communique' | grep -v '^pip=='; } > requirements.lock
	rm -rf .lockvenv
