# The two README commands are `make demo` and `make test`; each sets up everything it needs in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest
STAMP := $(VENV)/.installed
CORE := dictdb._core._aggregate dictdb._core._index dictdb._core._lock dictdb._core._predicate dictdb._core._records
BENCH_OPTS := -o python_files=bench_*.py -p no:cacheprovider

.PHONY: help venv build build-pure demo test test-compiled test-pure lint types stubs bench bench-smoke clean

help:
	@echo "make demo   build the compiled core, run the quickstart, print compiled-vs-pure timings"
	@echo "make test   build (extensions required), run the suite in both cores, lint, types, stubs, bench smoke"
	@echo "make bench  full benchmarks and the compiled/pure ratio table"
	@echo "make lint   ruff + cython-lint"

$(STAMP): requirements/build.txt requirements/test.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/test.txt
	touch $(STAMP)

venv: $(STAMP)

# Editable install: the extensions are compiled in place into src/dictdb/_core/.
build: $(STAMP)
	DICTDB_REQUIRE_EXTENSIONS=1 $(PY) -m pip install --quiet --no-build-isolation -e .
	$(PY) -c "import dictdb; assert dictdb.core_implementation() == 'cython'; print('dictdb core:', dictdb.core_implementation())"

demo: build
	$(PY) examples/quickstart.py
	$(PY) benchmarks/compare.py

test: build test-compiled test-pure lint types stubs bench-smoke
	@echo "make test: all checks passed"

test-compiled: build
	DICTDB_REQUIRE_EXTENSIONS=1 $(PYTEST) -q

test-pure: build
	DICTDB_NO_EXTENSIONS=1 $(PYTEST) -q

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks examples setup.py
	$(PY) -m ruff format --check src tests benchmarks examples setup.py
	PATH="$(VENV)/bin:$$PATH" $(VENV)/bin/cython-lint src/dictdb/_core

types: $(STAMP)
	$(PY) -m mypy

stubs: build
	$(PY) -m mypy.stubtest $(CORE)

bench-smoke: build
	$(PYTEST) benchmarks $(BENCH_OPTS) -q --benchmark-disable

bench: build
	$(PYTEST) benchmarks $(BENCH_OPTS) -q --benchmark-json=.benchmarks/compiled.json
	DICTDB_NO_EXTENSIONS=1 $(PYTEST) benchmarks $(BENCH_OPTS) -q -k "not kernel" --benchmark-json=.benchmarks/pure.json
	$(PY) benchmarks/ratios.py .benchmarks/compiled.json .benchmarks/pure.json

clean:
	rm -rf build dist .benchmarks src/*.egg-info src/dictdb/_core/*.c src/dictdb/_core/*.so src/dictdb/_core/*.html
