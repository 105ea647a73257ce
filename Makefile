# The two commands: `make run` (start the bot) and `make test` (run every test).
# Both are idempotent: packages, the virtual environment and the Rasa model are only
# (re)built when their inputs changed.
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8080
# make test: the call core on a virtual clock first (seconds; stops at its first failure), then
# the rest on TEST_WORKERS pytest-xdist workers as tests/conftest.py groups them, then the tests
# marked `timing` (real-time bounds a busy machine breaks) one at a time, with nothing beside
# (exit status 5, no test chosen by PYTEST_ARGS in one of the two, is not a failure).
CORE_TESTS := tests/bot/call/test_core.py tests/bot/call/test_state.py tests/bot/call/test_prompts.py
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -q -p no:cacheprovider
XDIST := --dist loadgroup --no-loadscope-reorder

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
	@scripts/setup.sh voices

test-setup: setup
	@scripts/setup.sh apt scripts/apt-test.txt
	@scripts/setup.sh voices all
	@scripts/setup.sh tools

train: setup
	@$(BIN)/voicebot train

run: train
	@$(BIN)/voicebot serve --host $(HOST) --port $(PORT)

test: test-setup train
	@$(BIN)/ruff check .
	@$(PYTEST) -x $(CORE_TESTS)
	@$(PYTEST) -n $(TEST_WORKERS) $(XDIST) -m "not timing" --durations=15 \
		$(CORE_TESTS:%=--deselect %) $(PYTEST_ARGS); rest=$$?; \
	$(PYTEST) -n 0 -m timing --durations=5 $(PYTEST_ARGS); timing=$$?; \
	for status in $$rest $$timing; do [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; done

lint: setup
	@$(BIN)/ruff check .

bench: train
	@$(BIN)/voicebot bench all

clean:
	rm -rf $(VENV) .stamps models/rasa var
