# Two commands for a newcomer:
#   make run    set up and start the portal on the embedded default (devnet + SQLite) at http://127.0.0.1:8000:
#               the devnet, the worker and the web role, each in its own process, one log, Ctrl-C stops all
#   make test   set up and run the whole test suite
# Needs Python 3.11+ (python3), and for the tests Node.js/npm (anvil, solc) and, as root, apt for Chromium.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test setup setup-test bench clean

run: setup
	$(BIN)/reserves run

# Temporary files on tmpfs where there is one (scripts/test-tmpdir); only a failed test's folder is kept.
# Its setup runs pip and npm side by side (-j: npm's few seconds hide behind pip's half minute).
test:
	$(MAKE) --no-print-directory -j3 setup-test
	TMPDIR="$$(scripts/test-tmpdir)" $(BIN)/pytest -n auto --dist worksteal -o tmp_path_retention_policy=failed $(PYTEST_ARGS)

setup: $(VENV)/.installed

setup-test: $(VENV)/.installed-test node_modules/.installed
	scripts/ensure-chromium
	scripts/ensure-caddy

bench: setup-test
	scripts/ensure-wrk
	$(BIN)/python -m bench

# A venv with an up-to-date pip (the one Python bundles resolves this project in twice the time).
define venv
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
endef

$(VENV)/.installed: pyproject.toml
	$(venv)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# One install with the test extras, not the project and then again with them (10 s of a fresh clone):
# it is the project's install too.
$(VENV)/.installed-test: pyproject.toml
	$(venv)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

node_modules/.installed: package.json package-lock.json
	# npm ci refuses this lock file: anvil's optional binaries for other platforms are not in the
	# registry we reach, so npm leaves them out of the lock; install keeps the lock as it is.
	npm install --no-save --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules
