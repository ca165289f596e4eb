# The two commands of the README, and the pieces CI uses. Works on a fresh machine that has
# only python3.11 and pip: everything else is installed into .venv (and Debian's chromium for
# the browser tests, when this runs as root with apt).

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: demo test venv lint typecheck browser-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

venv: $(STAMP)

## make demo: the product on its embedded default (SQLite, in-process queue, sandbox platforms).
demo: venv
	$(PY) manage.py demo

## make test: the whole suite (PostgreSQL/Redis suites run when DATABASE_URL/REDIS_URL point at them).
test: venv browser-deps
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy inventory_sync channels mapping

# Browser tests drive Debian's Chromium through Playwright (browsers cannot be downloaded here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: browser tests will be skipped (or fail under CI)"; \
	  else echo "no /usr/bin/chromium: browser tests will be skipped (or fail under CI)"; fi; \
	fi

clean:
	rm -rf $(VENV) var/test.sqlite3 test-output staticfiles .mypy_cache .ruff_cache
