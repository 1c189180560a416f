# The two README commands are `make demo` and `make test`; each sets up everything it needs in .venv.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest
STAMP := $(VENV)/.installed
# Jupyter (nbclient, ipykernel) and DuckDB for the notebooks, installed on top of the test requirements.
NB_STAMP := $(VENV)/.notebooks-installed
BENCH_OPTS := -o python_files=bench_*.py -p no:cacheprovider
# `make bench` rounds: each benchmark calibrates, then runs for about BENCH_TIME seconds (at least 3 rounds).
BENCH_TIME ?= 0.5
BENCH_RUN := $(BENCH_OPTS) -q --benchmark-max-time=$(BENCH_TIME) --benchmark-min-rounds=3 --benchmark-sort=name
# `make fuzz`: seconds per target (docs/reliability.md).
FUZZ_TIME ?= 60
FUZZ_TARGETS := predicate like loader
# The debug build (bounds and wraparound checks on) lives in a copy of the tree, beside the in-place build.
DEBUG_DIR := build/debug
PYX := $(wildcard src/dictdb/_core/*.pyx src/dictdb/_core/*.pxd)
LINTED := src tests tools benchmarks examples fuzz setup.py

.PHONY: help venv build build-pure demo test test-compiled test-pure test-debug lint types stubs bench bench-smoke \
	notebooks reliability fuzz docs clean

help:
	@echo "make demo   build the compiled core, run the quickstart, print compiled-vs-pure timings"
	@echo "make test   build (extensions required), run the suite in both cores and once on a debug build"
	@echo "            (bounds checks on), lint, types, stubs, bench smoke, the notebooks, the API reference"
	@echo "make notebooks  execute examples/notebooks/ in a Jupyter kernel of .venv (the files are left alone;"
	@echo "            after editing one: .venv/bin/python -m tools.notebooks refresh NOTEBOOK)"
	@echo "make reliability  the long reliability suite in both cores (DICTDB_LONG=1), then make fuzz"
	@echo "make fuzz   each fuzz target for FUZZ_TIME seconds (default $(FUZZ_TIME)) under atheris"
	@echo "make bench  full benchmarks (both cores, sqlite3, DuckDB, the floor), the ratio table, the charts"
	@echo "make docs   the API reference from docstrings, into docs/_build/api"
	@echo "make lint   ruff + cython-lint"

$(STAMP): requirements/build.txt requirements/test.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/test.txt
	touch $(STAMP)

$(NB_STAMP): requirements/notebooks.txt $(STAMP)
	$(PY) -m pip install --quiet -r requirements/notebooks.txt
	touch $(NB_STAMP)

venv: $(STAMP)

# Editable install: the extensions are compiled in place into src/dictdb/_core/.
build: $(STAMP)
	DICTDB_REQUIRE_EXTENSIONS=1 $(PY) -m pip install --quiet --no-build-isolation -e .
	$(PY) -c "import dictdb; assert dictdb.core_implementation() == 'cython'; print('dictdb core:', dictdb.core_implementation())"

demo: build
	$(PY) examples/quickstart.py
	$(PY) benchmarks/compare.py

test: build test-compiled test-pure test-debug lint types stubs bench-smoke notebooks docs
	@echo "make test: all checks passed"

# The suite's notebook tests (tests/docs/test_notebooks.py) run the tool, so the suite needs Jupyter too.
test-compiled: build $(NB_STAMP)
	DICTDB_REQUIRE_EXTENSIONS=1 $(PYTEST) -q

test-pure: build $(NB_STAMP)
	DICTDB_NO_EXTENSIONS=1 $(PYTEST) -q

# The suite once more, against the compiled core built with DICTDB_CYTHON_DEBUG=1 (bounds and wraparound
# checks on in every module) in build/debug/: the in-place build is left alone. Recompiled only when a
# .pyx or setup.py changes; the Python sources are refreshed every run. The check step fails unless the
# tests will import the debug extensions. Compiling takes about 30 s on 2 cores, the suite 1-2 minutes.
$(DEBUG_DIR)/.built: $(STAMP) setup.py $(PYX)
	$(PY) -m tools.debug_build sync $(DEBUG_DIR)
	cd $(DEBUG_DIR) && DICTDB_CYTHON_DEBUG=1 DICTDB_REQUIRE_EXTENSIONS=1 $(abspath $(PY)) setup.py --quiet \
		build_ext --inplace > build_ext.log 2>&1 || (tail -30 build_ext.log; exit 1)
	touch $@

test-debug: $(DEBUG_DIR)/.built $(NB_STAMP)
	$(PY) -m tools.debug_build sync $(DEBUG_DIR)
	PYTHONPATH=$(abspath $(DEBUG_DIR))/src $(PY) -m tools.debug_build check $(DEBUG_DIR)
	PYTHONPATH=$(abspath $(DEBUG_DIR))/src DICTDB_REQUIRE_EXTENSIONS=1 $(PYTEST) -q -p no:cacheprovider

# The long runs (docs/reliability.md): the reliability suite with DICTDB_LONG=1 in both cores, then every
# fuzz target for FUZZ_TIME seconds.
reliability: build
	DICTDB_LONG=1 DICTDB_REQUIRE_EXTENSIONS=1 $(PYTEST) -q tests/reliability
	DICTDB_LONG=1 DICTDB_NO_EXTENSIONS=1 $(PYTEST) -q tests/reliability
	$(MAKE) fuzz

# atheris (libFuzzer) drives each harness of fuzz/; a failing input is saved in build/fuzz/ and replays
# with `$(PY) -m fuzz TARGET --replay FILE`. The corpus grows in build/fuzz/corpus/ from run to run.
fuzz: build
	$(PY) -m pip install --quiet -r requirements/fuzz.txt
	for target in $(FUZZ_TARGETS); do $(PY) -m fuzz $$target --time $(FUZZ_TIME) || exit 1; done

lint: $(STAMP)
	$(PY) -m ruff check $(LINTED)
	$(PY) -m ruff format --check $(LINTED)
	PATH="$(VENV)/bin:$$PATH" $(VENV)/bin/cython-lint src/dictdb/_core

# mypy checks tools/notebooks.py, which imports nbclient and nbformat.
types: $(NB_STAMP)
	$(PY) -m mypy

# The compiled modules come from dictdb._core.MODULES, the one list (python -m dictdb._core prints it).
stubs: build
	$(PY) -m mypy.stubtest $$($(PY) -m dictdb._core)

bench-smoke: build
	$(PYTEST) benchmarks $(BENCH_OPTS) -q --benchmark-disable

# Every notebook of examples/notebooks/ runs top to bottom in a kernel of .venv (the in-place build; the tool
# checks the kernel's interpreter and dictdb against its own), with a timeout per cell, into a copy: a cell
# that raises or writes to stderr, or an output holding a machine path, fails the run naming the cell.
notebooks: build $(NB_STAMP)
	$(PY) -m tools.notebooks run

# One table (.benchmarks/table.md): kernels and contenders run once, in the compiled run; DictDB's table
# operations run again in the pure core. pytest-benchmark's own tables go to .benchmarks/*.log. Under 10
# minutes on 2 cores (docs/performance.md). Then the same results drawn as SVG charts into docs/img/ (the
# committed ones, which the docs show: commit them with the table they go with).
bench: build
	$(PY) -m pip install --quiet -r requirements/bench.txt
	mkdir -p .benchmarks
	$(PYTEST) benchmarks $(BENCH_RUN) --benchmark-json=.benchmarks/compiled.json > .benchmarks/compiled.log \
		|| (tail -40 .benchmarks/compiled.log; exit 1)
	tail -1 .benchmarks/compiled.log
	DICTDB_NO_EXTENSIONS=1 $(PYTEST) benchmarks $(BENCH_RUN) -m "not kernel and not contender" \
		--benchmark-json=.benchmarks/pure.json > .benchmarks/pure.log || (tail -40 .benchmarks/pure.log; exit 1)
	tail -1 .benchmarks/pure.log
	$(PY) -m benchmarks.memory --out .benchmarks/memory-compiled.json
	DICTDB_NO_EXTENSIONS=1 $(PY) -m benchmarks.memory --dictdb-only --out .benchmarks/memory-pure.json
	$(PY) benchmarks/ratios.py .benchmarks/compiled.json .benchmarks/pure.json \
		.benchmarks/memory-compiled.json .benchmarks/memory-pure.json | tee .benchmarks/table.md
	$(PY) -m benchmarks.charts .benchmarks/compiled.json .benchmarks/pure.json \
		.benchmarks/memory-compiled.json .benchmarks/memory-pure.json --out docs/img

# The API reference, generated from the docstrings by pdoc; any warning fails the build.
docs: build
	$(PY) -m pip install --quiet -r requirements/docs.txt
	$(PY) docs/build_api.py docs/_build/api

clean:
	rm -rf build dist .benchmarks docs/_build src/*.egg-info src/dictdb/_core/*.c src/dictdb/_core/*.so src/dictdb/_core/*.html
