# The two commands: `make run` (start the bot) and `make test` (run every test).
# Both are idempotent: packages, the virtual environment and the Rasa model are only
# (re)built when their inputs changed.
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080

.PHONY: run test setup test-setup train lint bench clean help

help:
	@echo "make run    start the bot on http://$(HOST):$(PORT) (installs what is missing first)"
	@echo "make test   run the whole test suite (installs what is missing first)"
	@echo "make train  train the Rasa model if its data or config changed"
	@echo "make lint   ruff check ."
	@echo "make bench  run every benchmark (voicebot bench all)"

setup:
	@scripts/setup.sh apt scripts/apt-runtime.txt
	@scripts/setup.sh venv

test-setup: setup
	@scripts/setup.sh apt scripts/apt-test.txt
	@scripts/setup.sh tools

train: setup
	@$(BIN)/voicebot train

run: train
	@$(BIN)/voicebot serve --host $(HOST) --port $(PORT)

test: test-setup train
	@$(BIN)/ruff check .
	@$(BIN)/python -m pytest -q -p no:cacheprovider --durations=15 $(PYTEST_ARGS)

lint: setup
	@$(BIN)/ruff check .

bench: train
	@$(BIN)/voicebot bench all

clean:
	rm -rf $(VENV) .stamps models/rasa var
