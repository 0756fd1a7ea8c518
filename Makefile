# Two entry points: `make serve` (set up, then serve the built-in corpus) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install browser serve test eval bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	# torch first, pinned (an unpinned torch pulls a CUDA build)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: install
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
