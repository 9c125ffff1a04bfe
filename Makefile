# Lantau: the two commands are `make devnet` (run the devnet) and `make test` (run the tests).
# Both create .venv and install what they need from the package registries.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: devnet test test-unit test-e2e test-campaigns test-durations bench setup browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch node_modules/.installed

# The explorer's browser tests drive Debian's chromium and chromium-driver (CI runs as root on
# Debian); installed here when missing, never downloaded by a Python package.
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update && apt-get install -y chromium chromium-driver; }

setup: $(STAMP) node_modules/.installed browser

devnet: $(STAMP) node_modules/.installed
	ETH_HASH_BACKEND=pysha3 $(VENV)/bin/lantau devnet --data-dir $(or $(DATA_DIR),.devnet)

# Test files run on TEST_WORKERS processes (pytest-xdist): a file's tests stay on one worker, so
# its module fixtures start once; every process a test starts binds port 0 in the test's own tmp
# dir. The files that start processes go first, the longest first by tests/durations.json
# (tests/conftest.py), so the workers end together on the short ones. Three on CI's two cores: an
# end-to-end test mostly waits on L1 and L2 blocks (test_derivation_disputes used 61 CPU-s in 250 s
# of wall time), so a third worker fills the cores while the other two wait.
TEST_WORKERS ?= 3
PARALLEL := -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: setup
	ETH_HASH_BACKEND=pysha3 $(PY) -m pytest -q -p no:cacheprovider $(PARALLEL) --durations=30 tests

test-unit: setup
	ETH_HASH_BACKEND=pysha3 $(PY) -m pytest -q tests -m 'not e2e'

test-e2e: setup
	ETH_HASH_BACKEND=pysha3 $(PY) -m pytest -q $(PARALLEL) tests -m e2e

# the long scenarios CI deselects (marker `campaign`, tests/conftest.py)
test-campaigns: setup
	ETH_HASH_BACKEND=pysha3 $(PY) -m pytest -q -p no:cacheprovider $(PARALLEL) tests -m campaign

# CI's run (as `make test`), recording each file's seconds in tests/durations.json (commit it when
# files that start processes were added or got much longer or shorter: it orders them)
test-durations: setup
	CI=true LANTAU_RECORD_DURATIONS=1 ETH_HASH_BACKEND=pysha3 $(PY) -m pytest -q -p no:cacheprovider $(PARALLEL) tests

bench: setup
	ETH_HASH_BACKEND=pysha3 $(PY) bench/tps.py --all

clean:
	rm -rf $(VENV) node_modules .devnet
