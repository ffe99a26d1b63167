# evacsim — the two commands a new machine needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/funiuxi_tank_fire.toml

.PHONY: demo test lint bench fuzz venv clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/evacsim run $(SCENARIO)

browser: $(STAMP)
	@bash tools/ensure_chromium.sh

test: $(STAMP) browser
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check evacsim tests benchmarks maps
	$(VENV)/bin/ruff format --check evacsim tests benchmarks maps
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	$(PY) benchmarks/run.py
	$(PY) benchmarks/optimize_bench.py --quick

clean:
	rm -rf $(VENV) runs .pytest_cache

# The input-mutation test (tests/cli/test_fuzz.py) with many more examples than `make test` runs.
FUZZ_EXAMPLES ?= 1000
FUZZ_CLI_EXAMPLES ?= 25
fuzz: $(STAMP)
	EVACSIM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) EVACSIM_FUZZ_CLI_EXAMPLES=$(FUZZ_CLI_EXAMPLES) \
		$(PY) -m pytest -q tests/cli/test_fuzz.py --hypothesis-show-statistics
