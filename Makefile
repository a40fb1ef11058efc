# The README's commands. `make demo` runs a master on SQLite with its UI and REST
# API on 127.0.0.1:8010; `make test` installs what the tests need, starts the real
# services they use, then runs lint, type checks and the whole test suite.

VENV ?= .venv
PY := $(VENV)/bin/python
PACKAGES := master/marid worker/marid_worker
LINTED := master worker tests bench scripts

.PHONY: demo demo-stop test lint services services-stop venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py worker/setup.py pyproject.toml
	bash scripts/bootstrap-venv.sh $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: venv
	bash scripts/demo.sh $(VENV)

demo-stop: venv
	-for w in demo/workers/*/; do $(VENV)/bin/marid-worker stop "$$w"; done
	$(VENV)/bin/marid stop demo

services:
	bash scripts/test-services.sh start

services-stop:
	bash scripts/test-services.sh stop

lint: venv
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy

test: venv services lint
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info
