# Two commands matter: `make run` (talk to the bot) and `make test` (everything CI checks).
# Both create .venv and install the project on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test chat migrate lint typecheck pytest bench bench-quick soak train-safety journeys clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot

chat: $(STAMP)
	$(BIN)/python -m bot chat

migrate: $(STAMP)
	$(BIN)/python -m bot migrate

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck pytest

journeys: $(STAMP)
	$(BIN)/python -m tests.journeys

bench: $(STAMP)
	$(BIN)/python -m bench

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

# Retrain the safety net's meaning layer after changing its examples or statement files.
train-safety: $(STAMP)
	$(BIN)/python -m bot.meaning_training

soak: $(STAMP)
	$(BIN)/python -m tests.soak

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .ruff_cache
