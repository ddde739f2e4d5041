# Every target installs what it needs, so each works on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python

.PHONY: setup npm test bench demo clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

npm: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: setup npm
	$(PY) -m pytest -q tests

bench: setup npm
	$(PY) -m pytest bench --benchmark-only --benchmark-columns=min,median,mean,rounds -q -s

demo: setup
	$(VENV)/bin/zk credits demo

clean:
	rm -rf $(VENV) node_modules .numba_cache .pytest_cache .benchmarks .credits
