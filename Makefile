# Two commands matter on a fresh machine: `make demo` and `make test`. Both build .venv first.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: venv demo test test-fast generate check-generated lint typecheck bench bench-smoke dist sandbox clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job: start the bundled sandbox and walk through the SDK against it.
demo: venv
	$(PY) examples/demo.py

## Everything CI runs: generated-code drift, lint, types, then the test suite.
test: venv check-generated lint typecheck
	$(PY) -m pytest -q -p no:cacheprovider

test-fast: venv
	$(PY) -m pytest -q -x -p no:cacheprovider

generate: venv
	$(PY) -m codegen

check-generated: venv
	$(PY) -m codegen --check

lint: venv
	$(VENV)/bin/ruff check src codegen tests examples bench

## mypy --strict and pyright (strict) over the package, generated code, examples and tests/typing/usage.py;
## then pyright --verifytypes must find 100% of the public symbols typed.
typecheck: venv
	$(VENV)/bin/mypy
	$(VENV)/bin/mypy examples/seed
	$(VENV)/bin/mypy examples/client
	$(VENV)/bin/mypy examples/v4
	$(VENV)/bin/mypy $(wildcard examples/*.py)
	$(VENV)/bin/pyright
	$(PY) tests/typing/verifytypes.py

bench: venv
	$(PY) -m bench

bench-smoke: venv
	$(PY) -m bench --smoke

## sdist and wheel into dist/, offline: setuptools and wheel come from the dev extra.
dist: venv
	rm -rf dist
	$(PY) -m build --no-isolation --outdir dist .

sandbox: venv
	$(PY) -m amocrm.sandbox

clean:
	rm -rf $(VENV) dist build .mypy_cache .pytest_cache .ruff_cache
