"""A write that runs out of space: a real server whose files may not grow
(RLIMIT_FSIZE, so writes fail with EFBIG as on a full disk).

The upload is refused with 507 or 503 in the error shape, reads keep working,
nothing acknowledged is lost, the stores agree afterwards, and once space is
back the same upload succeeds.
"""

from __future__ import annotations

import resource
import signal
from pathlib import Path

import httpx

from rag.config import Settings
from rag.consistency import store_problems
from rag.pipeline import Pipeline
from tests.helpers import BUILTIN_CORPUS as CORPUS
from tests.helpers import serve

# No file may grow past this: small metadata writes fit, a document's chunks and vectors do not.
FILE_SIZE_LIMIT = 64 * 1024


def _document(n: int) -> dict:
    body = " ".join(
        f"Clause {n}.{i}: every operator of tidal turbine fleet {n} files inspection record {i} with the harbour office."
        for i in range(300)
    )
    return {"title": f"Tidal turbine rules {n}", "text": body}


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _assert_consistent(data: Path) -> list[str]:
    pipeline = Pipeline(Settings(data_dir=data, corpus_dir=CORPUS))
    try:
        assert store_problems(pipeline) == []
        return sorted(row["id"] for row in pipeline.store.document_rows()[1])
    finally:
        pipeline.close()


def test_full_storage_refuses_the_write_and_loses_nothing(tmp_path, expect_error):
    data = tmp_path / "data"
    server = serve(data, CORPUS, tmp_path / "first.log")  # ingests the built-in corpus
    with httpx.Client(base_url=server.url, timeout=120) as c:
        stored = c.post("/documents", json=_document(0))
        assert stored.status_code == 201, stored.text
    assert server.stop() == 0
    before = _assert_consistent(data)

    # The log is a file too: only critical lines, so it stays under the limit.
    quiet = {"RAG_LOG_LEVEL": "critical"}
    server = serve(data, CORPUS, tmp_path / "full.log", env=quiet, preexec_fn=_limit_file_size(FILE_SIZE_LIMIT))
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            refused = c.post("/documents", json=_document(1))
            error = expect_error(refused, refused.status_code, ("storage_full", "storage_error"))
            assert refused.status_code in (503, 507), (refused.status_code, error)
            listed = c.get("/documents", params={"limit": 500})
            assert listed.status_code == 200
            assert sorted(d["id"] for d in listed.json()["documents"]) == before
            assert c.get(f"/documents/{before[0]}/text").status_code == 200
            found = c.post("/search", json={"query": "tidal turbine inspection record"}).json()["results"]
            assert found and all(r["document_id"] in before for r in found)
            assert c.post("/ask", json={"question": "Where do operators of tidal turbines file inspection records?"}).status_code == 200
    finally:
        server.stop()
    assert _assert_consistent(data) == before

    server = serve(data, CORPUS, tmp_path / "after.log")  # space is back
    try:
        with httpx.Client(base_url=server.url, timeout=120) as c:
            again = c.post("/documents", json=_document(1))
            assert again.status_code == 201, again.text
            added = again.json()["document"]["id"]
    finally:
        assert server.stop() == 0
    assert _assert_consistent(data) == sorted([*before, added])

