# Data Platform Light — every target calls one CLI: python -m pipelines <command>.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
export RUNTIME__DLTHUB_TELEMETRY ?= false

SOURCE ?=
STREAM ?=
DAYS ?=
FULL ?=
LIMIT ?= 50

CLI := $(PY) -m pipelines
source_flag = $(if $(SOURCE),--source $(SOURCE))
stream_flag = $(if $(STREAM),--streams $(STREAM))
full_flag = $(if $(filter 1 yes true,$(FULL)),--full)
# the units of a scoped sync or backfill: PROJECT= (Jira keys), REPO= (Bitbucket slugs), JOB= (Jenkins full names)
scope_flag = $(if $(PROJECT),--project "$(PROJECT)") $(if $(REPO),--repo "$(REPO)") $(if $(JOB),--job "$(JOB)")
# names of the variables given on the command line (a saved query's parameters: make query NAME=x RELEASE=1.4)
given_vars = $(foreach v,$(MAKEOVERRIDES),$(firstword $(subst =, ,$(v))))

.PHONY: help bootstrap check demo test test-soak lint format sync-jira sync-bitbucket sync-jenkins sync-all \
	backfill silver anomalies stats show-cursors show-manifest show-runs verify shell bench \
	schedule-gate ledgers-artifact units sync-due report dora mcp agent-audit load record docs jql queries query \
	demo-lake compact migrate-bronze snapshots expire-snapshots reset

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required (set PYTHON=python3.11)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

bootstrap: $(STAMP) ## create .venv and install the pinned requirements (fast when done)

check: bootstrap ## validate config + secrets and reach every configured source
	$(CLI) check

demo: bootstrap ## run everything end to end on the bundled simulators (into .demo/)
	$(PY) scripts/demo.py

demo-lake: bootstrap ## the demo on a local S3 (moto) and a DuckLake on a local PostgreSQL, a reader during a build
	$(PY) scripts/demo_lake.py

test: bootstrap lint ## ruff + the whole test suite (offline, simulators on loopback)
	$(PY) -m pytest -q -n auto

test-soak: bootstrap ## long reliability variants (kill points, fault storms at scale)
	DPL_SOAK=1 $(PY) -m pytest -q -n auto -m soak

lint: bootstrap ## ruff lint and format check
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: bootstrap ## apply ruff fixes and formatting
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

sync-jira: bootstrap ## sync Jira into bronze (FULL=1 ignores cursors, STREAM=a,b, PROJECT=KEY,KEY only those)
	$(CLI) sync jira $(full_flag) $(stream_flag) $(scope_flag)

sync-bitbucket: bootstrap ## sync Bitbucket into bronze (FULL=1, STREAM=a,b, REPO=slug,slug only those)
	$(CLI) sync bitbucket $(full_flag) $(stream_flag) $(scope_flag)

sync-jenkins: bootstrap ## sync Jenkins into bronze (FULL=1, STREAM=a,b, JOB=folder/job,... only those)
	$(CLI) sync jenkins $(full_flag) $(stream_flag) $(scope_flag)

sync-all: bootstrap ## sync every configured source in parallel
	$(CLI) sync-all $(full_flag)

backfill: bootstrap ## re-extract the last DAYS days (SOURCE=jira STREAM=issues PROJECT=/REPO=/JOB= optional)
	@test -n "$(DAYS)" || { echo "usage: make backfill DAYS=120 [SOURCE=jira] [STREAM=issues] [PROJECT=KEY]"; exit 2; }
	$(CLI) backfill --days $(DAYS) $(source_flag) $(stream_flag) $(scope_flag)

reset: bootstrap ## drop cursors so the next run re-reads (SOURCE= STREAM=a,b [SCOPE=KEY], YES=1: no prompt); bronze untouched
	@test -n "$(SOURCE)" -a -n "$(STREAM)" || { echo "usage: make reset SOURCE=jira STREAM=issues [SCOPE=DPL] [YES=1]"; exit 2; }
	$(CLI) reset --source $(SOURCE) --streams $(STREAM) $(if $(SCOPE),--scope "$(SCOPE)") \
		$(if $(filter 1 yes true,$(YES)),--yes)

silver: bootstrap ## build/merge the DuckDB silver tables (FULL=1 rebuilds from all bronze)
	$(CLI) silver $(full_flag)

anomalies: bootstrap ## print integrity anomalies: counts by type and first rows
	$(CLI) anomalies

stats: bootstrap ## bronze files/rows/bytes per day, last run, cursor, freshness (SOURCE=, STREAM=)
	$(CLI) stats $(source_flag) $(if $(STREAM),--stream $(STREAM))

show-cursors: bootstrap ## print cursors.parquet (SOURCE=)
	$(CLI) show-cursors $(source_flag) --limit $(LIMIT)

show-manifest: bootstrap ## print the manifest (SOURCE=, LIMIT=)
	$(CLI) show-manifest $(source_flag) --limit $(LIMIT)

show-runs: bootstrap ## print runs.parquet (SOURCE=, LIMIT=)
	$(CLI) show-runs $(source_flag) --limit $(LIMIT)

verify: bootstrap ## check bronze files against manifests (QUARANTINE=1 moves orphans aside)
	$(CLI) verify $(source_flag) $(if $(filter 1 yes true,$(QUARANTINE)),--quarantine)

compact: bootstrap ## merge each source's manifest segments into one, atomically (SOURCE=)
	$(CLI) compact $(source_flag)

migrate-bronze: bootstrap ## copy bronze to another root, verified by sha256 (TO=s3://bucket/prefix)
	@test -n "$(TO)" || { echo "usage: make migrate-bronze TO=s3://bucket/prefix"; exit 2; }
	$(CLI) migrate-bronze --to "$(TO)"

units: bootstrap ## list every unit (source × stream): settings, last run, rows, next due, backoff (SOURCE=)
	$(CLI) units $(source_flag)

sync-due: bootstrap ## run only the units whose schedule is due (DRY=1 lists them)
	$(CLI) sync-due $(if $(filter 1 yes true,$(DRY)),--dry-run)

report: bootstrap ## write a self-contained HTML report (OUT=reports/latest.html, DAYS=)
	$(CLI) report $(if $(OUT),--out $(OUT)) $(if $(DAYS),--days $(DAYS))

dora: bootstrap ## print the DORA metrics of the last weeks (WEEKS=12)
	$(CLI) dora $(if $(WEEKS),--weeks $(WEEKS))

shell: bootstrap ## read-only SQL prompt on the warehouse + bronze views (SQL="...", FILE=q.sql, WIDTH=120, TIMEOUT=s, AS_OF=)
	$(CLI) shell $(if $(SQL),--sql "$$SQL") $(if $(FILE),--file "$$FILE") $(if $(WIDTH),--max-width $(WIDTH)) \
		$(if $(TIMEOUT),--timeout $(TIMEOUT)) $(if $(AS_OF),--as-of "$$AS_OF")

snapshots: bootstrap ## DuckLake warehouse: list its snapshots and what each changed (LIMIT=50)
	$(CLI) snapshots --limit $(LIMIT)

expire-snapshots: bootstrap ## DuckLake warehouse: compact small files, expire snapshots older than DAYS days, delete their files
	@test -n "$(DAYS)" || { echo "usage: make expire-snapshots DAYS=30 (0 keeps only the last snapshot)"; exit 2; }
	$(CLI) expire-snapshots --days $(DAYS)

mcp: bootstrap ## MCP server for AI assistants on stdio (tools bounded by config/ai_policy.yaml)
	@$(PY) -m agent.mcp

agent-audit: bootstrap ## print the last agent tool calls from the audit log (LIMIT=50)
	$(CLI) agent-audit --limit $(LIMIT)

load: bootstrap ## mirror bronze into a dlt destination, only files not loaded yet (DEST=duckdb|postgres|..., SOURCE=)
	@test -n "$(DEST)" || { echo "usage: make load DEST=duckdb [SOURCE=jira] (credentials: .dlt/secrets.toml or DESTINATION__<NAME>__CREDENTIALS)"; exit 2; }
	$(CLI) load --destination $(DEST) $(source_flag)

record: bootstrap ## record a sanitized HTTP cassette of a full sync for a bug report (SOURCE=jira PROJECT=KEY OUT=)
	@test -n "$(SOURCE)" || { echo "usage: make record SOURCE=jira [PROJECT=KEY] [OUT=cassettes/mine.yaml]"; exit 2; }
	$(CLI) record $(SOURCE) $(if $(PROJECT),--project $(PROJECT)) $(if $(OUT),--out $(OUT))

docs: bootstrap ## write docs/tables.md (tables, columns, meanings) and refresh the README's copy of make help
	$(CLI) docs

bench: bootstrap ## benchmarks: writes bench/results/latest.json and latest.md
	$(PY) bench/run.py

schedule-gate: bootstrap ## scheduled workflow: let only the cron that is 02:00 Europe/Berlin through (CRON=)
	$(CLI) schedule-gate --cron "$(CRON)"

ledgers-artifact: bootstrap ## copy manifest/cursors/runs parquet of every source to OUT= (CI artifact)
	$(CLI) ledgers-artifact --out "$(OUT)"

jql: bootstrap ## answer JQL from the warehouse, no call to Jira (Q='project = DPL ORDER BY updated DESC', FIELDS=, FORMAT=csv|json)
	@test -n "$$Q" || { echo "usage: make jql Q='project = DPL AND statusCategory != Done' [FIELDS=key,summary] [FORMAT=csv]"; exit 2; }
	$(CLI) jql "$$Q" $(if $(FIELDS),--fields "$(FIELDS)") $(if $(FORMAT),--format $(FORMAT))

queries: bootstrap ## list the saved queries (sql/queries) and their parameters
	$(CLI) queries

query: bootstrap ## run a saved query (NAME=release_readiness RELEASE=1.4: parameters as variables; FORMAT=csv|json)
	@test -n "$(NAME)" || { echo "usage: make query NAME=<name> [PARAMETER=value ...] [FORMAT=csv] (make queries lists them)"; exit 2; }
	$(CLI) query "$(NAME)" --params-from-env "$(given_vars)" $(if $(FORMAT),--format $(FORMAT))
