# ccflink: Confluent Cloud's fraud pipeline on one machine.  `make up`, then `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
JARS_DIR ?= $(CURDIR)/.ccflink/jars
CCFLINK := $(VENV)/bin/ccflink
PLAIN_AUTH := emulator/kafka/plain-auth
PLAIN_AUTH_JAR := $(JARS_DIR)/kafka/ccflink-plain-auth.jar
AZUREML_PROVIDER := emulator/flink/azureml-provider
AZUREML_PROVIDER_JAR := $(JARS_DIR)/flink/ccflink-azureml-provider.jar

.PHONY: help setup check-tools chromium up down up-docker down-docker check-docker status test test-unit lint format bench reliability lock clean

help:
	@echo "make up      set up (once), start Kafka, Schema Registry, Flink, the model server, run the pipeline"
	@echo "             (make up UNTIL_COMPLETE=1: then drain the join so every transaction is scored)"
	@echo "             (run again, it does not replay what the topics hold; make up REPLAY_AGAIN=1 does)"
	@echo "make down    stop everything 'make up' started"
	@echo "make up-docker / down-docker   the same services as containers (needs a Docker engine)"
	@echo "make status  what runs where"
	@echo "make test    unit, contract, integration tests, the example suite (examples/) and fault drills"
	@echo "make lint    ruff check + format check, the layering contract (.importlinter), deptry"
	@echo "make reliability   the fault drills; their counts go to RELIABILITY.md"

check-tools:
	@command -v java >/dev/null || { echo "Java 17 is missing. Install it: apt-get install openjdk-17-jdk-headless (or any JDK 17+), then run make again."; exit 1; }
	@java -version 2>&1 | head -1 | grep -Eq '"(1[7-9]|2[0-9])' || { echo "Java 17 or newer is needed; found: $$(java -version 2>&1 | head -1)"; exit 1; }
	@command -v mvn >/dev/null || { echo "Maven is missing. Install it: apt-get install maven, then run make again."; exit 1; }
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is missing. Install Python 3.11 (or run: make PYTHON=/path/to/python3.11)."; exit 1; }

setup: check-tools $(VENV)/.installed $(JARS_DIR)/.fetched $(PLAIN_AUTH_JAR) $(AZUREML_PROVIDER_JAR) chromium

# Debian's chromium: the browser the workspace's tests drive headless (Playwright launches it;
# browsers cannot be downloaded here). Installed as root; otherwise said, and those tests skip.
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> Debian's chromium (the workspace's browser tests drive it headless)"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null \
	      || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; }; \
	  else \
	    echo "note: chromium is missing; the workspace's browser tests (tests/integration/test_workspace_browser.py) skip without it. Install it as root: apt-get install chromium"; \
	  fi; }

$(VENV)/.installed: requirements.txt pyproject.toml
	@echo "==> Python environment in $(VENV) (PyFlink is large: about a minute the first time)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet --progress-bar off -r requirements.txt
	@$(PY) -m pip install --quiet --no-deps -e .
	@touch $@

$(JARS_DIR)/.fetched: pom.xml
	@echo "==> Jars from Maven Central into $(JARS_DIR) (Kafka broker, Flink Kafka connector, avro-confluent)"
	@mvn -q -B generate-resources -Djars.dir=$(JARS_DIR)
	@touch $@

$(PLAIN_AUTH_JAR): $(PLAIN_AUTH)/pom.xml $(shell find $(PLAIN_AUTH)/src -name '*.java')
	@echo "==> The broker's SASL/PLAIN API-key check ($(PLAIN_AUTH)) into $(@D)"
	@mvn -q -B -f $(PLAIN_AUTH)/pom.xml package -Djars.dir=$(abspath $(JARS_DIR))
	@touch $@

# The JVM-side `azureml` model provider prototype for Flink's own ML_PREDICT (issue 14); its
# Java tests run in `make test`, not here.
$(AZUREML_PROVIDER_JAR): $(AZUREML_PROVIDER)/pom.xml $(shell find $(AZUREML_PROVIDER)/src/main -type f)
	@echo "==> The JVM azureml model provider ($(AZUREML_PROVIDER)) into $(@D)"
	@mvn -q -B -f $(AZUREML_PROVIDER)/pom.xml package -DskipTests -Djars.dir=$(abspath $(JARS_DIR))
	@touch $@

# make up UNTIL_COMPLETE=1: once the replay is in, drain the join so every transaction is scored.
# make up REPLAY_AGAIN=1: replay even when the topics already hold an earlier run's replay.
up: setup
	@$(CCFLINK) up --demo $(if $(UNTIL_COMPLETE),--until-complete) $(if $(REPLAY_AGAIN),--replay-again)

down:
	@if [ -x $(CCFLINK) ]; then $(CCFLINK) down; else echo "nothing to stop (no $(VENV))"; fi

COMPOSE := docker compose -f docker/docker-compose.yml

# The same services as containers (docker/README.md). Needs a Docker engine with Compose.
# The model endpoint's key comes from CCFLINK_MODEL_API_KEY (compose says so when it is unset).
up-docker: check-docker
	@$(COMPOSE) up -d --build --wait
	@$(COMPOSE) ps

down-docker: check-docker
	@CCFLINK_MODEL_API_KEY=unused $(COMPOSE) down

check-docker:
	@command -v docker >/dev/null 2>&1 || { echo "error: no docker command; install Docker Engine with the Compose plugin, or use 'make up'"; exit 2; }
	@docker info >/dev/null 2>&1 || { echo "error: the docker command finds no running Docker engine; start it, or use 'make up'"; exit 2; }

status: setup
	@$(CCFLINK) status

# Three runs, one stack at a time: the suite (its slowest tests listed at the end), the example
# suite (the pytest plugin's stack), and the fault drills (about 8 min on a stack of their own).
# Side by side they only share the two cores: the drills took 9:12 with the examples beside
# them against 7:48 + 1:22 one after the other, and beside the suite longer still.
test: setup
	@echo "==> the JVM azureml model provider's Java tests ($(AZUREML_PROVIDER))"
	@mvn -q -B -f $(AZUREML_PROVIDER)/pom.xml test -Djars.dir=$(abspath $(JARS_DIR))
	@$(PY) -m pytest tests --ignore=tests/faults --durations=15
	@echo "==> the example suite (examples/), with the ccflink pytest plugin's own stack"
	@$(PY) -m pytest examples
	@echo "==> fault drills (tests/faults), on a stack of their own"
	@$(PY) -m pytest tests/faults

test-unit: setup
	@$(PY) -m pytest tests/unit

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache
	@$(VENV)/bin/deptry .

format: setup
	@$(VENV)/bin/ruff format .
	@$(VENV)/bin/ruff check --fix .

bench: setup quix-venv
	@$(PY) -m benchmarks.pipeline_end_to_end
	@$(PY) -m benchmarks.quix_pipeline
	@$(PY) -m benchmarks.plain_flink_pipeline
	@$(PY) -m benchmarks.produce_throughput
	@$(PY) -m benchmarks.commit_latency
	@$(PY) -m benchmarks.endpoint_vs_azmlinfsrv

# The Quix Streams pipeline the benchmark compares with runs in a venv of its own: quixstreams
# 3.28.1 needs confluent-kafka < 2.13, ccflink pins 2.16.1.
QUIX_VENV := .ccflink/venv-quix
QUIX_REQUIREMENTS := benchmarks/quix/requirements

quix-venv: $(QUIX_VENV)/.installed

$(QUIX_VENV)/.installed: $(QUIX_REQUIREMENTS).txt
	@echo "==> Quix Streams in $(QUIX_VENV), for the benchmark's Quix pipeline"
	@test -x $(QUIX_VENV)/bin/python || $(PYTHON) -m venv $(QUIX_VENV)
	@$(QUIX_VENV)/bin/python -m pip install --quiet --progress-bar off -r $(QUIX_REQUIREMENTS).txt
	@touch $@

lock-quix:
	@rm -rf $(QUIX_VENV).lock && $(PYTHON) -m venv $(QUIX_VENV).lock
	@$(QUIX_VENV).lock/bin/python -m pip install --quiet --progress-bar off -r $(QUIX_REQUIREMENTS).in
	@{ echo "# Locked from $(QUIX_REQUIREMENTS).in with pip freeze (Python 3.11). Regenerate with: make lock-quix"; \
	  $(QUIX_VENV).lock/bin/python -m pip freeze; } > $(QUIX_REQUIREMENTS).txt && rm -rf $(QUIX_VENV).lock

# The fault drills (tests/faults) on a stack of their own, their counts written to RELIABILITY.md.
reliability: setup
	@CCFLINK_RELIABILITY_REPORT=$(CURDIR)/RELIABILITY.md $(PY) -m pytest tests/faults -q

lock:
	@{ echo "# Locked from requirements.in with pip freeze (Python 3.11). Regenerate with: make lock"; \
	  $(PY) -m pip freeze --exclude-editable; } > requirements.txt.new && mv requirements.txt.new requirements.txt

clean: down
	rm -rf .ccflink $(VENV)
