# herd: `make demo` and `make test` are all a newcomer needs; both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-slow bench bench-single clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

## install: create .venv and install herd with its test tools (idempotent)
install: $(STAMP)

## demo: the whole workflow on a small synthetic category
demo: $(STAMP)
	$(VENV)/bin/herd demo

## test: the test suite (well under 15 minutes on 2 CPU cores)
test: $(STAMP)
	$(PY) -m pytest -q

## test-slow: end-to-end checks that take minutes
test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

## bench: speed and quality benchmarks, printed beside a baseline measured in the same run
bench: $(STAMP)
	$(PY) -m herd.bench

## bench-single: the single-video acceptance benchmark (quad and human, 10 minutes each)
bench-single: $(STAMP)
	$(PY) -m herd.bench.single_video --res 96

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
