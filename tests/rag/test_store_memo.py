"""Per-question reads kept in memory between writes: every write (add, replace,
metadata change, delete, reindex) is seen by the next question."""

from __future__ import annotations

import pytest

from rag.pipeline import Pipeline
from rag.store.memo import WriteMemo
from tests.helpers import make_settings


def test_reads_are_kept_until_a_write_and_not_across_it():
    memo = WriteMemo(max_entries=2)
    calls = []
    assert memo.get("a", lambda: calls.append("a") or 1) == 1
    assert memo.get("a", lambda: calls.append("a") or 2) == 1 and calls == ["a"]
    memo.invalidate()
    assert memo.get("a", lambda: 3) == 3

    def read_during_a_write():
        memo.invalidate()  # a write commits while this read runs: what it saw may be old
        return 4

    assert memo.get("b", read_during_a_write) == 4
    assert memo.get("b", lambda: 5) == 5  # the value read during the write was not kept
    memo.get("c", lambda: 6)
    memo.get("d", lambda: 7)
    assert memo.get("b", lambda: 8) == 8  # the least recently used entry left (two entries at most)
    off = WriteMemo(max_entries=10, enabled=False)
    off.get("a", lambda: 1)
    assert off.get("a", lambda: 2) == 2


def test_every_write_is_seen_by_the_next_question(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "audits.md").write_text("# Audits\n\n" + "Regulators may audit every deployed system once a year. " * 8)
    (folder / "audits.md.meta.json").write_text('{"jurisdiction": "uk"}')
    pipeline = Pipeline(make_settings(tmp_path / "data"))
    pipeline.ingest([folder])
    before = pipeline.counts()
    assert pipeline.store.document_frequencies(["zeppelin"]) == {"zeppelin": 0}
    assert pipeline.search("audit", filters={"jurisdiction": "uk"})
    assert not pipeline.search("audit", filters={"jurisdiction": "fr"})

    (folder / "zeppelins.md").write_text("# Airships\n\n" + "Every zeppelin operator must register the airship with the authority. " * 8)
    pipeline.ingest([folder])
    grown = pipeline.counts()
    assert grown["documents"] == before["documents"] + 1 and grown["chunks"] > before["chunks"]
    assert pipeline.store.document_frequencies(["zeppelin"])["zeppelin"] > 0
    answer = pipeline.ask("What must a zeppelin operator do?")
    assert answer.citations and answer.citations[0].document_id == "zeppelins.md"

    (folder / "audits.md.meta.json").write_text('{"jurisdiction": "fr", "title": "Audit rules"}')  # metadata only
    pipeline.ingest([folder])
    assert pipeline.search("audit", filters={"jurisdiction": "fr"})
    assert not pipeline.search("audit", filters={"jurisdiction": "uk"})
    assert pipeline.search("audit regulators", top_k=1)[0].title == "Audit rules"

    pipeline.delete("zeppelins.md")
    assert pipeline.counts() == before
    assert pipeline.store.document_frequencies(["zeppelin"]) == {"zeppelin": 0}
    assert all(p.document_id != "zeppelins.md" for p in pipeline.search("zeppelin operator"))

    pipeline.reindex()
    assert pipeline.counts() == before
    assert pipeline.search("audit", filters={"jurisdiction": "fr"})
    pipeline.close()


@pytest.mark.slow
def test_a_write_by_another_process_is_seen_at_the_next_question(tmp_path):
    """Two pipelines on one folder, as two server workers: each keeps its own memo and counts."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "audits.md").write_text("# Audits\n\n" + "Regulators may audit every deployed system once a year. " * 8)
    settings = make_settings(tmp_path / "data")
    with Pipeline(settings) as writer, Pipeline(settings) as reader:
        writer.ingest([folder])
        before = reader.counts()
        assert reader.store.document_frequencies(["zeppelin"]) == {"zeppelin": 0}
        assert reader._vector_index().count() == before["chunks"]
        assert [d.id for d in reader.list_documents()[1]] == ["audits.md"]
        writes = reader.store.sync().writes

        (folder / "zeppelins.md").write_text("# Airships\n\n" + "Every zeppelin operator must register the airship. " * 8)
        writer.ingest([folder])
        assert reader.store.counts() == before  # kept in memory: nothing has asked the store yet
        assert reader.store.sync().writes > writes
        grown = reader.store.counts()
        assert grown["documents"] == 2 and reader._vector_index().count() == grown["chunks"]
        assert reader.store.document_frequencies(["zeppelin"])["zeppelin"] > 0
        assert reader.statuses().keys() == {"audits.md", "zeppelins.md"}
        answer = reader.ask("What must a zeppelin operator do?")
        assert answer.citations and answer.citations[0].document_id == "zeppelins.md"
