# hookhouse developer commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HOOKHOUSE_HOME ?= $(CURDIR)/data
DEMO_EVENTS ?= 100000

.PHONY: setup spark rabbitmq demo run serve test lint stress format dev bench bench-quick bench-ingest-file bench-engines clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "hookhouse needs Python 3.11: run make PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

## setup: create .venv with hookhouse and its tools
setup: $(VENV)/.installed

# The spark extra (dbt-spark, pyspark) and a Java runtime for it: the tests build on Spark too;
# and the bench extra (dlt), since the suite runs the benchmark at a tiny size.
$(VENV)/.spark-installed: $(VENV)/.installed
	@command -v java >/dev/null || { echo "installing a Java runtime for Spark (openjdk-17-jre-headless)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; }
	$(BIN)/pip install --quiet -e '.[dev,spark,bench]'
	@touch $@

## spark: set up, plus what the spark target needs (README "Running on Spark")
spark: $(VENV)/.spark-installed

# A RabbitMQ broker for the consumer's tests (Debian's package; the tests start their own node
# on 127.0.0.1 and stop it, so the system service is not used).
rabbitmq:
	@PATH="$$PATH:/usr/sbin" command -v rabbitmq-server >/dev/null || \
		{ echo "installing RabbitMQ for the consumer tests (rabbitmq-server)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rabbitmq-server; }

## demo: set up, generate sample dumps into the data home, run the whole pipeline
demo: setup
	$(BIN)/hookhouse generate --out "$(HOOKHOUSE_HOME)/landing/sample" --events $(DEMO_EVENTS) --seed 1
	$(BIN)/hookhouse run

## run: ingest new landing files and build every model
run: setup
	$(BIN)/hookhouse run

## serve: the hook receiver on 127.0.0.1:8787 (README "Receiving hooks"); a token is made in the data home
serve: setup
	@mkdir -p "$(HOOKHOUSE_HOME)"
	@test -n "$$HOOKHOUSE_RECEIVER_TOKENS" || test -s "$(HOOKHOUSE_HOME)/receiver-tokens" || \
		{ umask 077; $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$(HOOKHOUSE_HOME)/receiver-tokens"; \
		echo "made a receiver token: $(HOOKHOUSE_HOME)/receiver-tokens"; }
	$(BIN)/hookhouse serve --token-file "$(HOOKHOUSE_HOME)/receiver-tokens"

## lint: every check of .pre-commit-config.yaml on every file (ruff, mypy, sqlfluff, yamllint, dg)
lint: setup
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

## test: set up (Spark and RabbitMQ included), lint, and run the whole test suite
test: spark rabbitmq lint
	$(BIN)/pytest

## stress: the long fault runs (kill points, fuzzing, property examples); see tests/test_faults_*.py
stress: spark rabbitmq
	$(BIN)/pytest -m stress

## format: apply ruff's and sqlfluff's fixes and formatting
format: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix models macros

## dev: the Dagster UI on the same instance `hookhouse run` records to (run queue set up)
dev: setup
	DAGSTER_HOME="$$($(BIN)/python -m orchestration.defs.instance)" $(BIN)/dagster dev

## bench: every measurement beside its peers, at 1M and 10M events, into docs/benchmarks.md (hours)
bench: spark
	cd bench && ../$(BIN)/python run_bench.py

## bench-quick: the same at small sizes, in a few minutes (writes bench/out/benchmarks-quick.md)
bench-quick: spark
	cd bench && ../$(BIN)/python run_bench.py --quick --report out/benchmarks-quick.md

## bench-ingest-file: the one-file ingest benchmark, with the 5 GB memory check (bench/README.md)
bench-ingest-file: setup
	$(BIN)/python bench/ingest_bench.py --memory-gb 5

## bench-engines: DuckDB against Spark, full build and nightly run at 1M and 10M events
bench-engines: spark
	$(BIN)/python bench/engines_bench.py

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache target logs
