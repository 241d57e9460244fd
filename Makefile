# Quick start: `make demo` serves the portal with demo data; `make test` runs every test.
PORT ?= 8000
VENV := .venv
PY := $(VENV)/bin/python
# pyenv honours .python-version; elsewhere take the newest python3 that Django 6 accepts.
BOOTSTRAP_PYTHON ?= $(shell (command -v pyenv >/dev/null 2>&1 && pyenv which python 2>/dev/null) || command -v python3.13 || command -v python3.12)
PYTEST_ARGS ?=
# pytest-xdist workers: one per core ("auto"); TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= auto
# The settings refuse to start without SECRET_KEY unless DEBUG=1. The catalogue tools run as
# production does (DEBUG unset), on a throwaway key unless SECRET_KEY is set; the tests make up
# their own (tests/environment.py).
WITH_KEY = SECRET_KEY="$${SECRET_KEY:-$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')}"

.PHONY: install demo test lint messages check-messages clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock build-constraints.txt
	@$(BOOTSTRAP_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
		{ echo "Python 3.12 or newer is needed (found $(BOOTSTRAP_PYTHON))"; exit 1; }
	test -x $(PY) || $(BOOTSTRAP_PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check "pip==26.3"
	$(PY) -m pip install --quiet --disable-pip-version-check \
		--build-constraint build-constraints.txt -c requirements.lock -e ".[dev]"
	touch $@

demo: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py demo_data
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The same flags as .ci/check-messages, which fails when the catalogue is out of date.
messages: install
	$(WITH_KEY) $(PY) manage.py makemessages -l pt_BR --no-location --no-obsolete \
		--ignore=.venv --ignore=tests --ignore=bench --ignore=samples --ignore=test-artifacts
	$(WITH_KEY) $(PY) manage.py compilemessages -l pt_BR --ignore=.venv

check-messages: install
	$(WITH_KEY) ./.ci/check-messages

clean:
	rm -rf $(VENV) db.sqlite3 media test-artifacts
