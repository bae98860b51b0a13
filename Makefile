# Every target creates/uses .venv; nothing else needs installing by hand.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= data
SEED ?= 42
SCALE ?= small
# ENGINE=postgres: dbt builds on $ROI_LEDGER_POSTGRES_URL, or on a throwaway local server when it is unset
ENGINE ?= duckdb
ENGINES ?= duckdb,postgres,spark
BENCH_SCALE ?= large
# pytest-xdist workers for `make test` (TEST_WORKERS=0: one process); a module's tests stay on one worker, and
# modules are handed out in collection order (tests/conftest.py puts the longest first; xdist's own reorder,
# by number of tests, would leave the one-test Spark module to the end of the run)
TEST_WORKERS ?= 2
DAGSTER_HOME := $(CURDIR)/.dagster_home
SQLFLUFF_ENV := ROI_LEDGER_DUCKDB_PATH=$(CURDIR)/dbt_project/target/lint.duckdb

.PHONY: demo test install manifest generate dev lint docs bench bench-engines lock clean

## demo: install, generate the demo organisation (seed 42) into data/raw, run the nightly job, publish
## (runs are recorded in .dagster_home, so `make dev` shows them)
demo: manifest $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/roi-ledger demo --data-dir $(DATA_DIR) --seed $(SEED) --scale $(SCALE) \
		--engine $(ENGINE)

## test: install and run the whole test suite
test: manifest
	env -u DAGSTER_HOME $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

$(STAMP): pyproject.toml demo/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]" -e demo
	touch $(STAMP)

install: $(STAMP)

## manifest: parse the dbt project (dbt_project/target/manifest.json) for the Dagster definitions
manifest: install
	$(BIN)/python -m orchestration.dbt

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $(DAGSTER_HOME)/dagster.yaml

## generate: rewrite every file generated from the registry and the definitions (dbt sources and contracts macro,
## docs/datasets.md, the GX suites, docs/GATES.md); `python -m orchestration.codegen --check` only reports drift
generate: manifest
	$(BIN)/python -m orchestration.codegen

## dev: the Dagster UI on http://127.0.0.1:3000 over the project's definitions
dev: manifest $(DAGSTER_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_HOME) ROI_LEDGER_DATA_DIR=$(abspath $(DATA_DIR)) \
		$(BIN)/dagster dev -h 127.0.0.1 -p 3000 -m orchestration.definitions

## lint: ruff (rules and format) and sqlfluff (dbt templater)
lint: manifest
	$(BIN)/ruff check orchestration demo tests
	$(BIN)/ruff format --check orchestration demo tests
	$(SQLFLUFF_ENV) $(BIN)/sqlfluff lint dbt_project/models

## docs: dbt docs with column lineage (dbt_project/target/static_index.html opens without a server; needs a built DATA_DIR)
docs: manifest
	cd dbt_project && ROI_LEDGER_DUCKDB_PATH=$(abspath $(DATA_DIR))/warehouse/roi.duckdb ../$(BIN)/dbt docs generate --profiles-dir .
	$(BIN)/python -m orchestration.column_lineage dbt_project/target

## bench: nights at the large scale (first, empty) against the floor (one DuckDB statement), the scenario model
## (50 x 100k), ingest and secret redaction (1M strings), as ratios against baselines in the same run
## (BENCH_SCALE=small for a quick look; results in data/bench-<scale>/bench/<timestamp>.json)
bench: manifest
	$(BIN)/python -m tests.bench.bench_nights --scale $(BENCH_SCALE)
	$(BIN)/python -m tests.bench.bench_scenarios
	$(BIN)/python -m tests.bench.bench_ingest
	$(BIN)/python -m tests.bench.bench_secrets

## bench-engines: the same first night on DuckDB, PostgreSQL and Spark at BENCH_SCALE (ENGINES to choose)
bench-engines: manifest
	$(BIN)/python -m tests.bench.bench_engines --scale $(BENCH_SCALE) --engines $(ENGINES)

## lock: regenerate constraints.txt from the current environment
lock: install
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^ai-roi-ledger\|^roi-ledger-demo' > constraints.txt.new
	( echo '# Pinned versions for a reproducible install: pip install -c constraints.txt -e ".[dev]" -e demo (regenerate with `make lock`).'; cat constraints.txt.new ) > constraints.txt
	rm constraints.txt.new

clean:
	rm -rf $(VENV) dbt_project/target .dagster_home .pytest_cache .ruff_cache
