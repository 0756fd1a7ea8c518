"""Ingest with the real model, real Chroma and real SQLite: idempotence,
replacement, deletion, restart and recovery from a killed ingest."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.errors import DocumentNotFound
from rag.pipeline import Pipeline
from rag.store.vectors import VectorIndex
from tests.helpers import BUILTIN_CORPUS, make_settings


def _state(pipeline: Pipeline) -> tuple[set[str], set[str], int]:
    """(chunk ids in SQLite, chunk ids in Chroma, rows in the lexical index)."""
    with pipeline.store.connection() as db:
        sqlite_ids = {r[0] for r in db.execute("SELECT id FROM chunks")}
        fts_rows = db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    chroma_ids = pipeline._vector_index().all_ids()
    return sqlite_ids, chroma_ids, fts_rows


def assert_consistent(pipeline: Pipeline) -> None:
    sqlite_ids, chroma_ids, fts_rows = _state(pipeline)
    assert sqlite_ids == chroma_ids, "vector index and document store disagree"
    assert fts_rows == len(sqlite_ids), "lexical index and document store disagree"


def test_reingest_of_unchanged_files_embeds_nothing(settings):
    pipeline = Pipeline(settings)
    first = pipeline.ingest([BUILTIN_CORPUS])
    assert sorted(first.added) == ["news__china-waic-global-ai-cooperation-2025.txt", "news__musk-china-ai-cooperation-2023.txt"]
    assert first.chunks_embedded > 0
    second = pipeline.ingest([BUILTIN_CORPUS])
    assert second.chunks_embedded == 0 and second.added == [] and second.updated == []
    assert sorted(second.unchanged) == sorted(first.added)
    assert_consistent(pipeline)


def test_changed_file_replaces_its_chunks_and_delete_removes_everything(settings, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    doc = folder / "policy.md"
    doc.write_text("# Policy\n\nProviders must label synthetic content. " * 40)
    (folder / "other.txt").write_text("Another document about audits of AI systems by regulators.\n" * 10)
    pipeline = Pipeline(settings)
    pipeline.ingest([folder])
    old_chunks = set(pipeline.store.chunk_ids_of("policy.md"))
    assert old_chunks

    doc.write_text("# Policy\n\nDeployers must keep logs for six months. " * 30)
    report = pipeline.ingest([folder])
    assert report.updated == ["policy.md"] and report.unchanged == ["other.txt"]
    new_chunks = set(pipeline.store.chunk_ids_of("policy.md"))
    assert new_chunks and not (new_chunks & old_chunks)
    assert_consistent(pipeline)
    assert "keep logs" in pipeline.get_text("policy.md")
    hits = pipeline.search("label synthetic content", top_k=5, mode="bm25")
    assert all("label synthetic" not in p.text for p in hits), "no stale lexical entries"

    pipeline.delete("policy.md")
    assert_consistent(pipeline)
    assert pipeline.counts()["documents"] == 1
    assert not pipeline.store.chunk_ids_of("policy.md")
    with pytest.raises(DocumentNotFound, match="no document"):
        pipeline.get_document("policy.md")


def test_failed_files_are_reported_and_the_rest_is_ingested(settings, tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.txt").write_text("A good document about AI governance frameworks and audits.\n")
    (folder / "empty.md").write_text("")
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    pipeline = Pipeline(settings)
    pipeline.ingest([BUILTIN_CORPUS])
    before = pipeline.counts()
    report = pipeline.ingest([folder])
    assert report.added == ["good.txt"]
    failed = dict(report.failed)
    assert any("empty.md" in name for name in failed) and any("broken.pdf" in name for name in failed)
    assert all(reason for reason in failed.values())
    assert pipeline.counts()["documents"] == before["documents"] + 1
    assert_consistent(pipeline)


def test_restart_keeps_everything(settings):
    first = Pipeline(settings)
    first.ingest([BUILTIN_CORPUS])
    answer = first.ask("Who did Musk speak with in the Twitter Space event?")
    first.close()
    del first
    # a separate process opens the same stores: Chroma's persistence is real, not in-memory
    code = (
        "from rag.config import Settings; from rag.pipeline import Pipeline; import json, sys\n"
        "p = Pipeline(Settings())\n"
        "a = p.ask('Who did Musk speak with in the Twitter Space event?')\n"
        "print(json.dumps({'docs': p.counts()['documents'], 'vectors': p._vector_index().count(), "
        "'cited': [c.document_id for c in a.citations]}))\n"
    )
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    import json

    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["docs"] == 2 and seen["vectors"] > 0
    assert seen["cited"] == [c.document_id for c in answer.citations]


INGEST = (
    "import sys; from pathlib import Path; from rag.config import Settings; from rag.pipeline import Pipeline\n"
    "Pipeline(Settings()).ingest([Path(sys.argv[1])])\n"
)


def _documents_in(db_path: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_killed_ingest_leaves_stores_consistent_and_a_rerun_completes(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(40):
        body = " ".join(f"Document {i} paragraph {j} sets duties for providers of model {i}-{j}." for j in range(60))
        (folder / f"doc-{i:02d}.txt").write_text(f"Title {i}\n\n{body}\n")
    data = tmp_path / "data"
    env = {**os.environ, "RAG_DATA_DIR": str(data)}
    proc = subprocess.Popen([sys.executable, "-c", INGEST, str(folder)], env=env, stderr=subprocess.PIPE)
    db_path = data / "documents.sqlite3"
    deadline = time.monotonic() + 240
    while _documents_in(db_path) < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the ingest finished before it could be killed; make the corpus larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _documents_in(db_path)
    assert 0 < partial < 40

    pipeline = Pipeline(make_settings(data))
    assert_consistent(pipeline)  # opening runs recovery: no orphans, nothing half-written
    for doc_id in [r[0] for r in pipeline.store.document_rows()[1]]:
        assert pipeline.store.chunk_ids_of(doc_id), f"{doc_id} is stored without its chunks"
    report = pipeline.ingest([folder])
    assert len(report.unchanged) == partial and len(report.added) == 40 - partial
    assert pipeline.counts()["documents"] == 40
    assert_consistent(pipeline)


def test_interrupted_write_is_rolled_back_on_open(settings):
    """The window between the vector write and the SQLite commit, made on purpose."""
    pipeline = Pipeline(settings)
    pipeline.ingest([BUILTIN_CORPUS])
    vectors = pipeline._vector_index()
    orphan = "ghost.txt:000000000000:00000"
    pipeline.store.journal_open([orphan])
    import numpy as np

    vectors.upsert([orphan], np.ones((1, 384), dtype=np.float32) / np.sqrt(384), [{"document_id": "ghost.txt", "kind": "body"}])
    pipeline.close()
    assert [ids for _, ids in Pipeline(settings).store.journal_entries()] == [[orphan]]  # the entry is open

    reopened = Pipeline(settings)
    assert orphan in VectorIndex(settings.data_dir / "chroma", settings.index_name()).all_ids()
    reopened._vector_index()  # opening the vector index replays the journal
    assert orphan not in reopened._vector_index().all_ids()
    assert not reopened.store.journal_entries()
    assert_consistent(reopened)
