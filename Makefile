# Two entry points: `make serve` (set up, then serve the built-in corpus) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install serve test eval bench

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	# torch first, pinned (an unpinned torch pulls a CUDA build)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: install
	$(VENV)/bin/rag serve

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

eval: install
	$(VENV)/bin/rag eval --dataset corpus

bench: install
	$(PY) -m bench.ingest && $(PY) -m bench.query && $(PY) -m bench.load
