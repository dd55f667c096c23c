# Pre-screening assistant for NCT05617859. Start here:
#   make run    install, train if needed, start every service (Ctrl-C stops them)
#   make test   install, train if needed, run every test
# `make help` lists the other targets.

SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
export VENV

# Quieter TensorFlow / SQLAlchemy / Rasa; no usage telemetry.
export TF_CPP_MIN_LOG_LEVEL ?= 2
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export RASA_TELEMETRY_ENABLED ?= false
# endpoints.yml reads these (Rasa stops on an unset variable).
export ACTION_HOST ?= localhost
export ACTION_PORT ?= 5055
export TRACKER_DB ?= $(CURDIR)/var/tracker.db
# The action server's secret: scripts/serve.py sets the real one; empty here
# (the action server refuses an empty one) so that `rasa test core` can read
# endpoints.yml without an action server.
export ACTION_SERVER_TOKEN ?=

# CI=true (set by CI): also print timings of each phase.
IS_CI := $(filter-out false 0,$(CI))

# $(call timed,NAME,COMMAND) runs COMMAND; in CI prints how long it took.
# (COMMAND must not contain a comma.)
timed = t0=$$(date +%s); $(2); rc=$$?; \
	if [ -n "$(IS_CI)" ]; then echo "[time] $(1): $$(( $$(date +%s) - t0 ))s"; fi; \
	exit $$rc

.PHONY: help setup train run test lint bench converse audit nlu-report accuracy lock clean distclean

help:
	@echo "make run         install (first time), train if needed, start all services"
	@echo "make test        install (first time), train if needed, run every test"
	@echo "make lint         ruff: lint and format check (run by make test)"
	@echo "make setup       create $(VENV) from requirements.lock (no-op when unchanged)"
	@echo "make train       train models/<hash>.tar.gz if config/domain/data changed"
	@echo "make bench       benchmark screenings over REST vs Rasa's starter bot (var/bench/)"
	@echo "make converse    every persona (tests/personas/) over REST, outcomes vs the registry (TRANSPORT=local: in-process)"
	@echo "make audit       known vulnerabilities of requirements.lock (pip-audit, own venv)"
	@echo "make nlu-report  NLU evaluation report (scripts/nlu_report.sh)"
	@echo "make accuracy    answer corpus vs the registry: agreement by criterion and audience, unsafe passes (fails on any)"
	@echo "make lock        regenerate requirements.lock from requirements.in"
	@echo "make clean       remove models/, results/ and caches (keeps $(VENV) and var/)"
	@echo "make distclean   clean + remove $(VENV)"

setup:
	@$(call timed,setup,bash scripts/setup.sh)

train: setup
	@$(call timed,train,bash scripts/train.sh)

run: setup train
	@$(PY) scripts/serve.py

# The answer corpus (tests/corpus) scored through bot.check.check_answers; exits
# non-zero if any answer the registry excludes scores pass.
accuracy: setup
	@$(PY) tests/corpus_accuracy.py

lint: setup
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Runs every step even when an earlier one fails, then fails if any did.
test: setup
	@bash scripts/system_deps.sh
	@failed=""; \
	( $(call timed,lint,$(MAKE) --no-print-directory lint) ) || failed="$$failed lint"; \
	if [ ! -f domain.yml ]; then \
		echo "test: domain.yml does not exist yet: skipping rasa data validate, training and rasa test core"; \
	else \
		( $(call timed,rasa data validate,$(RASA) data validate) ) || failed="$$failed rasa-data-validate"; \
	fi; \
	if [ -f domain.yml ]; then \
		if ( $(call timed,train,bash scripts/train.sh) ); then \
			( $(call timed,pytest,$(PY) -m pytest tests) ); rc=$$?; \
			if [ $$rc -eq 5 ]; then echo "test: pytest found no tests"; \
			elif [ $$rc -ne 0 ]; then failed="$$failed pytest"; fi; \
			if [ -f tests/test_stories.yml ]; then \
				model=$$(bash scripts/train.sh --model-path); \
				( $(call timed,rasa test core,$(RASA) test core --model "$$model" --stories tests/test_stories.yml --fail-on-prediction-errors --out results) ) \
					|| failed="$$failed rasa-test-core"; \
			else \
				echo "test: tests/test_stories.yml does not exist yet: skipping rasa test core"; \
			fi; \
		else \
			failed="$$failed train"; \
		fi; \
	fi; \
	if [ -n "$$failed" ]; then echo "test: FAILED:$$failed"; exit 1; fi; \
	echo "test: all passed"

# Prints figures and writes var/bench/results.json; not a test. Env: CONCURRENCY (20),
# CONVERSATIONS (40), REPLICAS (1; 2 adds the two-replica set-up, docs/deployment.md);
# BENCH_ARGS="--skip-train --no-reference" for a quick re-run.
bench: setup
	@$(PY) scripts/bench.py $(BENCH_ARGS)
	@TF_CPP_MIN_LOG_LEVEL=3 $(PY) -m scripts.benchmark.action_check

# The conversation harness: every persona of tests/personas/ talks to the bot, the
# results are read from the staff export and compared with the registry text. Exits
# non-zero on any unsafe pass, lead without contact or unwanted deletion.
# TRANSPORT=rest (default: the real servers on free ports) or local (in-process);
# CONVERSE_ARGS="--only NAME --show" for one conversation in full (--help for the rest).
TRANSPORT ?= rest
converse: setup
	@if [ "$(TRANSPORT)" = "rest" ]; then bash scripts/train.sh; fi
	@mkdir -p var/converse
	@$(PY) scripts/converse.py --transport $(TRANSPORT) --json var/converse/$(TRANSPORT).json $(CONVERSE_ARGS)

# pip-audit from an environment of its own (it would upgrade packaging in .venv).
audit:
	@bash scripts/audit.sh

nlu-report: setup
	@if [ ! -f scripts/nlu_report.sh ]; then echo "nlu-report: scripts/nlu_report.sh is not written yet"; exit 1; fi
	@$(call timed,nlu-report,PYTHON=$(PY) RASA=$(RASA) bash scripts/nlu_report.sh)

# Resolve requirements.in in a throwaway venv and freeze the whole tree
# (pip, setuptools and wheel included, at the versions the lock has now).
lock:
	@set -e; \
	PY310=$$(bash scripts/find_python.sh); \
	tmp=$$(mktemp -d /tmp/lock-venv.XXXXXX); trap 'rm -rf "$$tmp"' EXIT; \
	echo "lock: resolving requirements.in in $$tmp"; \
	"$$PY310" -m venv "$$tmp"; \
	tools=$$(grep -iE '^(pip|setuptools|wheel)==' requirements.lock || echo "pip setuptools wheel"); \
	"$$tmp/bin/python" -m pip install --disable-pip-version-check $$tools; \
	"$$tmp/bin/python" -m pip install --disable-pip-version-check -r requirements.in; \
	"$$tmp/bin/python" -m pip check; \
	"$$tmp/bin/python" -m pip freeze --all > requirements.lock.new; \
	mv requirements.lock.new requirements.lock; \
	echo "lock: wrote requirements.lock ($$(wc -l < requirements.lock) packages); run 'make setup' to install it"

clean:
	rm -rf models results .rasa .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
