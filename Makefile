# Automotive Chat Assistant — `make run` to serve, `make test` to check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := main
# make run PORT=8080 serves on 127.0.0.1:8080. BIND=host:port (command line or
# environment) wins over PORT; with neither, gunicorn.conf.py picks 127.0.0.1:8000
# (0.0.0.0:8000 with FLASK_ENV=production).
PORT ?=

.PHONY: help install dev node-dev migrate run test test-fast lint format highlight-css clean

help:
	@echo "make run     install, migrate and serve with Gunicorn (http://127.0.0.1:8000)"
	@echo "             another port: make run PORT=8080 (or BIND=host:port)"
	@echo "make test    install dev requirements and run the whole suite"
	@echo "make test-fast  only tests/unit and tests/app: no servers, no browser, no deploy tools"
	@echo "make lint    ruff format check and lint, bandit security scan"

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/activate
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed

dev: $(VENV)/.dev-installed

# The browser tests' accessibility checker (axe-core), pinned in package-lock.json.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

node-dev: node_modules/.package-lock.json

migrate: install
	$(BIN)/flask db upgrade

run: migrate
	$(if $(BIND),BIND='$(BIND)' ,$(if $(PORT),BIND='127.0.0.1:$(PORT)' ))$(BIN)/gunicorn -c gunicorn.conf.py main:app

test: dev node-dev
	$(BIN)/pytest $(PYTEST_ARGS)

test-fast: dev
	$(BIN)/pytest tests/unit tests/app $(PYTEST_ARGS)

lint: dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/bandit -q -r . -x ./.venv,./tests,./bench,./migrations

format: dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# static/css/highlight.css comes from rendering.py (Pygments styles, raised to WCAG AA).
highlight-css: install
	$(BIN)/python rendering.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
