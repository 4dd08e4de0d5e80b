# Meldportaal Huisvesting Arbeidsmigranten — the two commands are `make run` and `make test`.
PYTHON ?= python3
BIN := .venv/bin
STAMP := .venv/.installed
PO := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)
HOST ?= 127.0.0.1
PORT ?= 5000
# The suite runs on TEST_WORKERS processes (pytest-xdist), each with a database of its own;
# a test file goes whole to one worker (--dist loadfile). TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= 2
# The environment of this machine kind sets PYTHONDONTWRITEBYTECODE; without bytecode every test
# worker, server and CLI process compiles the portal and pytest rewrites every test module again
# (collection 9.6 s instead of 3.6 s). __pycache__ is ignored by git.
unexport PYTHONDONTWRITEBYTECODE
PYTEST := $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

.PHONY: oidc-provider run test check e2e lint typecheck security-check format bench drills drills-teeth ci install extract-messages

## Set up (first time: .venv, dependencies, Debian libraries when root), migrate, load the demo
## data and serve the portal at http://127.0.0.1:5000 — under gunicorn, as in production (Flask's
## own server warns on every start that it is not one). tests/integration/test_readme_commands.py
## runs this recipe (make -o install run) and the README's commands against it.
run: install
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi demo load
	@echo ""
	@echo "Serving the portal at http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

## The test OpenID Provider on http://127.0.0.1:9000 (OIDC_PORT), for trying the eHerkenning login
## by hand with `make run` in another terminal (docs/eherkenning.md); it prints the settings.
oidc-provider: install
	$(BIN)/python tools/oidc-provider/demo.py

## Run the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: install
	$(PYTEST) $(PYTEST_ARGS)

## The quick tier for the edit loop: lint, then the unit and integration tests on SQLite
check: install
	$(BIN)/ruff check .
	env -u TEST_DATABASE_URL $(PYTEST) -q tests/unit tests/integration $(PYTEST_ARGS)

## Only the browser tests (headless Chromium); screenshots to $E2E_SCREENSHOTS
e2e: install
	$(PYTEST) tests/e2e $(PYTEST_ARGS)

install: $(STAMP) $(MO)

$(STAMP): pyproject.toml scripts/install.sh
	PYTHON=$(PYTHON) ./scripts/install.sh
	@touch $(STAMP)

# Order-only on the stamp: scripts/install.sh compiles the catalogues itself, so a fresh install
# does not compile them a second time; an edited .po is compiled again.
%.mo: %.po | $(STAMP)
	$(BIN)/pybabel -q compile -i $< -o $@

lint: install
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format portal tests bench

typecheck: install
	$(BIN)/mypy

## Static security checks (docs/security.md T22): bandit, medium and high severity, 0 findings; the
## installed packages against security/known-bad.txt. pip-audit needs the network: not run here.
security-check: install
	$(BIN)/bandit -c pyproject.toml -r portal wsgi.py -ll -q
	$(BIN)/pytest -q tests/unit/test_supply_chain.py

## Refresh the message catalogue after changing texts: extract, then update the .po files.
extract-messages: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o portal/translations/messages.pot .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete --width 100

## Benchmarks at national scale against baselines of the same run (PostgreSQL on 127.0.0.1,
## database "bench" is recreated): writes bench/results.json and bench/results.md.
## QUICK=1: 1/100 scale and short loads (about a minute; CI runs it, times are not judged).
bench: install
	$(BIN)/python bench/run.py $(if $(QUICK),--quick) $(BENCH_ARGS)

## Crash drill (kill -9 gunicorn workers during 1,000 API filings) and restore drill (pg_dump -Fc,
## pg_restore, checksums, smoke test) on PostgreSQL (docs/security.md T2, T17; docs/operations.md).
## Skips when PostgreSQL is unreachable unless DRILLS_REQUIRED=1; exits non-zero on a failure.
drills: install
	$(BIN)/python -m drills.crash $(DRILL_ARGS)
	$(BIN)/python -m drills.restore

## The crash drill's sabotage run (docs/security.md §17): the receipt in a second
## transaction, workers killed inside that window; passes only if the drill catches the damage.
drills-teeth: install
	$(BIN)/python -m drills.crash --sabotage no-transaction --widen-ms 300 --target-windows \
		--filings 200 --kill-seconds 10 --min-kills 1 --expect-partial-writes

ci:
	bash .ci/run
