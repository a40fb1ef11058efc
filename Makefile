# The README's commands. `make demo` runs a master on SQLite with its UI and REST
# API on 127.0.0.1:8010; `make test` installs what the tests need, starts the real
# services they use, then runs lint, type checks and the whole test suite.

VENV ?= .venv
PY := $(VENV)/bin/python
PACKAGES := master/marid worker/marid_worker
LINTED := master worker tests bench scripts

UI_BUILT := master/marid/www/static/index.html
UI_SOURCES := $(shell find www/src www/index.html www/vite.config.ts www/tsconfig.json -type f 2>/dev/null)

.PHONY: demo demo-stop test lint services services-stop browser venv www clean

venv: $(VENV)/.installed

$(VENV)/.installed: setup.py worker/setup.py pyproject.toml
	bash scripts/bootstrap-venv.sh $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

# The web UI, built by Vite into the Python package (served at / by the master).
www: $(UI_BUILT)

www/node_modules/.installed: www/package.json www/package-lock.json
	@# Vite 8 needs npm 11 or newer; older npm is upgraded from the npm registry.
	npm --version | grep -Eq '^(1[1-9]|[2-9][0-9])\.' || npm install -g --no-audit --no-fund npm@11
	cd www && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(UI_BUILT): www/node_modules/.installed $(UI_SOURCES)
	cd www && npm run build

demo: venv www
	bash scripts/demo.sh $(VENV)

demo-stop: venv
	-for w in demo/workers/*/; do $(VENV)/bin/marid-worker stop "$$w"; done
	$(VENV)/bin/marid stop demo

services:
	bash scripts/test-services.sh start

services-stop:
	bash scripts/test-services.sh stop

browser:
	bash scripts/browser-deps.sh

lint: venv www/node_modules/.installed
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)
	$(VENV)/bin/mypy
	cd www && npm run typecheck

test: venv services browser www lint
	cd www && npm test
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) build dist *.egg-info www/node_modules master/marid/www/static
