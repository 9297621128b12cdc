# herd: `make demo` and `make test` are all a newcomer needs; both create .venv when it is missing.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install lint format constraints tools demo test test-slow bench bench-quick bench-single bench-category bench-realcues bench-scale clean
TOOLS := tools/node_modules/.installed

# the versions the test suite was last run with (make constraints rewrites it from .venv)
CONSTRAINTS := constraints.txt

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[test]'
	@touch $(STAMP)

## install: create .venv and install herd with its test tools, at the pinned versions (idempotent)
install: $(STAMP)

## lint: ruff (lint and format check) and mypy, as CI runs them before the tests
lint: $(STAMP)
	$(VENV)/bin/ruff check herd tests
	$(VENV)/bin/ruff format --check herd tests
	$(VENV)/bin/mypy

## format: apply ruff's fixes and format
format: $(STAMP)
	$(VENV)/bin/ruff check --fix herd tests
	$(VENV)/bin/ruff format herd tests

## constraints: pin the versions installed now (after a green make test) for make install
constraints: $(STAMP)
	$(PY) -m pip freeze --exclude-editable | grep -v '^herd' | sed '1i # The versions the test suite was last run with (make constraints, after a green make test); make install uses them.' > $(CONSTRAINTS)

$(TOOLS): tools/package.json
	cd tools && npm install --no-audit --no-fund --silent
	@touch $(TOOLS)

HUMAN := $(VENV)/.human
$(HUMAN): $(STAMP)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,human]'
	@touch $(HUMAN)

BROWSER := $(VENV)/.browser
$(BROWSER): $(STAMP)
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,browser]'
	@command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium \
		|| (echo "make: the browser test needs Debian's chromium: apt-get install chromium" && false)
	@touch $(BROWSER)

## tools: the Node tools the tests use (Khronos glTF validator), pinned in tools/package.json
tools: $(TOOLS)

## demo: the whole workflow on a small synthetic category
demo: $(STAMP)
	$(VENV)/bin/herd demo

## test: the test suite (well under 15 minutes on 2 CPU cores)
test: $(STAMP) $(HUMAN) $(TOOLS)
	$(PY) -m pytest -q

## test-slow: end-to-end checks that take minutes
test-slow: $(STAMP) $(TOOLS) $(BROWSER)
	$(PY) -m pytest -q -m slow

## bench: speed and quality benchmarks, printed beside a baseline measured in the same run, step time
## and memory at 6 to 48 videos, then the real-cue benchmark (images and masks through herd
## preprocess, scored in 3D; hours)
bench: $(STAMP)
	$(PY) -m herd.bench
	$(PY) -m herd.bench.scale
	$(PY) -m herd.bench.realcues

## bench-scale: step time, memory and cache build time at 6, 12, 24 and 48 videos (minutes)
bench-scale: $(STAMP)
	$(PY) -m herd.bench.scale

## bench-realcues: the real path on the reported seeds, beside the oracle run (docs/evaluation.md)
bench-realcues: $(STAMP)
	$(PY) -m herd.bench.realcues

## bench-quick: the same in under 10 minutes (one small dataset, 3 minutes of training)
bench-quick: $(STAMP)
	$(PY) -m herd.bench --quick

## bench-single: the single-video acceptance benchmark (quad and human, at most 10 minutes each)
bench-single: $(STAMP)
	$(PY) -m herd.bench.single_video --res 96

## bench-category: the category acceptance benchmark (6 quadrupeds, 6 humans, 25 minutes each)
bench-category: $(STAMP)
	$(PY) -m herd.bench.category --res 96

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info tools/node_modules
