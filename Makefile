# Two entry points for a fresh Debian machine with Python 3.11: `make run` and `make test`.
# Each creates .venv on first use; `make deps` installs the Debian libraries Qt needs (root/sudo).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := resources/samples/demo.csv.gz
CASE ?= demo.hscase

.PHONY: run test deps bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

deps:
	sh packaging/install-system-deps.sh

run: $(STAMP)
	$(BIN)/hydrascope demo --case $(CASE)

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python bench/import_bench.py

clean:
	rm -rf $(VENV) *.hscase
