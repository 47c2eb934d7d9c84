# The two commands a new user runs. Each creates .venv (Python 3.11: durable-rules 2.0.28 builds
# only for 3.11/3.12) and installs what it needs; re-running skips what is already done.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || echo python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   ?= al2-unauthorized

.PHONY: demo test clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert (3, 11) <= sys.version_info[:2] < (3, 13), "eksdoctor needs Python 3.11 or 3.12 (durable-rules does not build on 3.13)"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

## demo: install, write a sample bundle of a failed node, and diagnose it
demo: $(VENV)/.installed
	$(BIN)/eksdoctor sample $(DEMO) --out out/samples/$(DEMO)
	$(BIN)/eksdoctor diagnose out/samples/$(DEMO)/*.tar.gz

## test: install with test extras and run the whole suite
test: $(VENV)/.installed-test
	$(BIN)/pytest -q

clean:
	rm -rf $(VENV) out build *.egg-info
