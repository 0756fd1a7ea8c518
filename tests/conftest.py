"""Shared fixtures: real model, real Chroma, real SQLite, in temporary folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# One folder of ONNX exports for every test and the processes they start (each export
# checks itself against its recorded hash, so a folder kept between runs is safe).
os.environ.setdefault("RAG_MODEL_CACHE_DIR", str(Path(tempfile.gettempdir()) / "policy-rag-test-models"))

from rag.config import Settings  # noqa: E402
from tests.helpers import BUILTIN_CORPUS, make_settings, shared_corpus_path  # noqa: E402


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    path = shared_corpus_path()
    if not (path / "catalog.json").is_file():
        pytest.skip(f"the shared corpus is not at {path}; set RAG_SHARED_CORPUS to its folder to run this test")
    return path


@pytest.fixture
def settings(tmp_path) -> Settings:
    return make_settings(tmp_path / "data")


@pytest.fixture(scope="session")
def news_pipeline(tmp_path_factory):
    from rag.pipeline import Pipeline

    pipeline = Pipeline(make_settings(tmp_path_factory.mktemp("news-data")))
    report = pipeline.ingest([BUILTIN_CORPUS])
    assert report.ok and len(report.added) == 2
    yield pipeline
    pipeline.close()


@pytest.fixture(scope="session")
def corpus_pipeline(tmp_path_factory, shared_corpus):
    """The whole shared corpus, ingested once per test session."""
    from rag.pipeline import Pipeline

    pipeline = Pipeline(make_settings(tmp_path_factory.mktemp("corpus-data")))
    report = pipeline.ingest([shared_corpus])
    assert report.ok, report.failed
    yield pipeline
    pipeline.close()


@pytest.fixture(scope="session")
def scripted_model():
    """A scripted OpenAI-compatible chat server on a loopback port (tests/scripted_llm.py)."""
    from tests.scripted_llm import ScriptedModel

    model = ScriptedModel().start()
    yield model
    model.stop()
