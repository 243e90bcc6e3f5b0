# The front door. A new analyst needs two commands:
#   make report   set up, build the database (synthetic data unless RAW=… is given) and all reports
#   make test     set up and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
RAW ?= data/raw/synthetic
DB ?= data/ehandel.duckdb
SYNTHETIC := data/raw/synthetic
INSTALLED := $(VENV)/.installed

.PHONY: report briefing explore test test-fast setup data database demo-data notebooks bench clean

# The default run (the latest year) and the proposal for the next budget period, each in its folder.
NEXT_BUDGET := reports/scenarios/budget_2027_2030.yml

report: database
	$(BIN)/analysis build --db $(DB) $(ARGS)
	$(BIN)/analysis build --db $(DB) --params $(NEXT_BUDGET) --run $(basename $(notdir $(NEXT_BUDGET))) $(ARGS)

briefing: database
	$(BIN)/analysis build --db $(DB) --only briefing $(ARGS)

test: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The loop while editing: every test but those marked slow (a test that takes a second or more:
# builds, browsers, most ingests), property tests with a sixth of their examples, on two cores.
# make test, and CI, run them all, one at a time.
test-fast: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks notebooks
	FAST_TESTS=1 $(BIN)/python -m pytest -q -m "not slow" -n 2 $(PYTEST_ARGS)

setup: $(INSTALLED)

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	# Notebook outputs (figures of real units) never reach git: nbstripout strips them on git add.
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then $(BIN)/nbstripout --install; fi
	touch $@

data: database

demo-data: $(SYNTHETIC)/enheder.csv

$(SYNTHETIC)/enheder.csv: | $(INSTALLED)
	$(BIN)/analysis demo-data --out $(SYNTHETIC)

# Not by file dates (unzipped exports keep old ones): the database records which folder, files, reference
# files and ingest code it was built from, and is rebuilt whenever any of them differs. A missing RAW stops.
database: $(INSTALLED) $(if $(filter $(SYNTHETIC),$(RAW)),$(SYNTHETIC)/enheder.csv)
	$(BIN)/analysis ingest $(RAW) --db $(DB) --if-changed

explore: database
	$(BIN)/analysis explore --db $(DB)

notebooks: $(INSTALLED)
	$(BIN)/jupyter lab notebooks/

clean:
	rm -rf reports/20* $(DB) $(SYNTHETIC)

bench: database
	$(BIN)/python benchmarks/bench_penalty.py
	$(BIN)/python benchmarks/bench_build.py --db $(DB)
	$(BIN)/python benchmarks/bench_scale.py
	$(BIN)/python benchmarks/bench_xml.py
	$(BIN)/python benchmarks/bench_excel.py
	$(BIN)/python benchmarks/bench_classification.py
	$(BIN)/python benchmarks/bench_explorer.py --db $(DB)
