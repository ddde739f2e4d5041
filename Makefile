# Every target installs what it needs, so each works on a fresh clone.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# Benchmarks beside snarkjs up to 2^12 by default; the 2^16 row needs `make ptau` once (about an hour).
PTAU_POWER ?= 16
ZK_BENCH_MAX_LOG ?= 12
export ZK_BENCH_MAX_LOG

.PHONY: setup npm test fuzz mutation bench demo demo-chain ptau warmup clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev,chain,distributed]'
	touch $@

npm: node_modules/.installed

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: setup npm
	$(PY) -m pytest -q tests

# The parser fuzz tests with a long budget (`make test` runs them with 30 examples each).
ZK_FUZZ_EXAMPLES ?= 3000
fuzz: setup
	ZK_FUZZ_EXAMPLES=$(ZK_FUZZ_EXAMPLES) $(PY) -m pytest -q tests/test_fuzz_parsers.py tests/test_keyfile_hostile.py -k fuzz

# Remove or weaken one security check at a time; every mutant must be killed by a test.
mutation: setup npm
	$(PY) scripts/mutation.py

bench: setup npm
	$(PY) -m pytest bench --benchmark-only --benchmark-columns=min,median,mean,rounds -q -s

# Compile every numba kernel once (what a fresh install's first command would otherwise pay).
# Not part of setup: `make test` keys its own cache on the sources and would compile again.
warmup: setup
	$(VENV)/bin/zk warmup

ptau: npm
	scripts/prepare_ptau.sh $(PTAU_POWER)

demo: setup
	$(VENV)/bin/zk credits demo

# The same story on a local hardhat node it starts and stops itself; prints the gas of each step.
demo-chain: setup npm
	$(PY) -m circuits.app.chain.demo

clean:
	rm -rf $(VENV) node_modules .numba_cache .pytest_cache .benchmarks .credits .solc_cache
