"""Shared fixtures: real model, real Chroma, real SQLite, in temporary folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from tests.helpers import BUILTIN_CORPUS, make_settings, shared_corpus_path


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
