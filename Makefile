# communique — two commands: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test browser lint typecheck audit clean lock

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
	$(BIN)/communique channels USA CHN --db communique.db
	@echo ""
	@echo "Open the dashboard: $(BIN)/communique serve --db communique.db"
	@echo "then visit http://127.0.0.1:8000/"

test: install browser
	$(BIN)/ruff check src tests scripts benchmarks fuzz
	$(BIN)/mypy
	$(BIN)/pytest

# The dashboard's browser tests drive Debian's headless Chromium (they skip without it).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing chromium and chromium-driver for the browser tests"; \
	  apt-get install -y chromium chromium-driver >/dev/null \
	  || { apt-get update >/dev/null && apt-get install -y chromium chromium-driver >/dev/null; }; \
	else \
	  echo "note: /usr/bin/chromium is missing, so the browser tests will be skipped;"; \
	  echo "      install it as root: apt-get install -y chromium chromium-driver"; \
	fi

lint: install
	$(BIN)/ruff check src tests scripts benchmarks fuzz

typecheck: install
	$(BIN)/mypy

# Known vulnerabilities in the pins of requirements.lock (pip-audit against PyPI's data; no
# resolver, nothing installed). Fails on a vulnerable pin not listed in audit-ignore.txt;
# pins the service could not check are named in a NOTICE (AUDIT_STRICT=1: fail on them too).
audit: install
	$(BIN)/python scripts/audit.py requirements.lock

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info

# Re-pin every dependency from a fresh resolution of pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet -e '.[dev]' 'setuptools>=77' wheel
	{ echo "# Pinned versions of every dependency (runtime and development). Regenerate with: make lock"; \
	  .lockvenv/bin/pip freeze --all --exclude-editable | grep -v '^communique' | grep -v '^pip=='; } > requirements.lock
	rm -rf .lockvenv
