# Two entry points: `make serve` (set up, then serve the built-in corpus) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install browser serve test eval bench

BASE := $(VENV)/.installed-base

# What `make serve` needs: the service alone.
$(BASE): pyproject.toml
	python3 -m venv $(VENV)
	# torch first, pinned (an unpinned torch pulls a CUDA build)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e .
	touch $(BASE)

# What `make test` needs on top: the test tools, the evaluation and the llm extra.
$(STAMP): $(BASE)
	# a C/C++ compiler for llama-cpp-python (the llm extra), which builds from source: a few minutes
	command -v g++ >/dev/null || { SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq build-essential; }
	$(PY) -m pip install --quiet -e '.[test,llm]'
	touch $(STAMP)

install: $(STAMP)

serve: $(BASE)
	$(VENV)/bin/rag serve

# The browser tests (tests/ui) drive Debian's chromium; installed once, nothing done when present.
CHROMIUM := /usr/bin/chromium
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if command -v apt-get >/dev/null 2>&1; then \
			SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
			$$SUDO apt-get update && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
		else echo "no apt-get: install chromium to run the browser tests (they skip without it)"; fi; \
	fi

test: install browser
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

eval: install
	$(VENV)/bin/rag eval --dataset corpus

bench: install
	$(PY) -m bench.ingest && $(PY) -m bench.query && $(PY) -m bench.load
