"""The `rag` command, run as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import BUILTIN_CORPUS


def rag(*args: str, data_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(data_dir)}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-data")
    out = rag("ingest", "--quiet", str(BUILTIN_CORPUS), data_dir=folder)
    assert out.returncode == 0, out.stderr
    assert "2 added" in out.stdout
    return folder


def test_ask_prints_an_answer_with_numbered_sources(data_dir):
    out = rag("ask", "What did Li Qiang call for at WAIC?", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    assert "[1]" in out.stdout and "Sources" in out.stdout
    assert "China Advocates for Global Cooperation on AI Regulations" in out.stdout


def test_ask_json_has_the_api_shape_and_checkable_citations(data_dir):
    out = rag("ask", "Who did Musk talk to in the Twitter Space event?", "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert set(answer) >= {"answer", "abstained", "citations", "passages", "timings_ms"}
    assert not answer["abstained"] and answer["citations"], answer
    texts = {}
    for citation in answer["citations"]:
        doc_id = citation["document_id"]
        if doc_id not in texts:
            texts[doc_id] = (BUILTIN_CORPUS / "news" / doc_id.removeprefix("news__")).read_text(encoding="utf-8").strip()
        assert texts[doc_id][citation["start"]:citation["end"]] == citation["quote"]


def test_status_filters_on_the_command_line(data_dir):
    out = rag("search", "China AI cooperation", "--in-force", "--json", data_dir=data_dir)
    results = json.loads(out.stdout)["results"]
    assert results and all(r["status"] == "non-binding" for r in results)
    before = json.loads(rag("search", "China AI cooperation", "--as-of", "2024-01-01", "--json", data_dir=data_dir).stdout)
    assert {r["document_id"] for r in before["results"]} == {"news__musk-china-ai-cooperation-2023.txt"}
    text = rag("search", "China AI cooperation", "--top-k", "1", data_dir=data_dir).stdout
    assert "(non-binding, 20" in text
    bad = rag("ask", "What did Musk say?", "--as-of", "yesterday", data_dir=data_dir)
    assert bad.returncode == 2 and "as_of must be a date" in bad.stderr


def test_search_documents_and_reingest(data_dir):
    out = rag("search", "semiconductor export restrictions", "--top-k", "2", data_dir=data_dir)
    assert out.returncode == 0 and out.stdout.startswith("1. ")
    listing = rag("documents", data_dir=data_dir)
    assert listing.returncode == 0, listing.stderr
    assert "news__musk-china-ai-cooperation-2023.txt" in listing.stdout and "2 documents" in listing.stdout
    assert "non-binding  ·  dated 2023-07-13" in listing.stdout
    listed = json.loads(rag("documents", "--json", data_dir=data_dir).stdout)
    assert {d["status"] for d in listed} == {"non-binding"} and all(d["date"] for d in listed)
    again = rag("ingest", "--quiet", str(BUILTIN_CORPUS), data_dir=data_dir)
    assert again.returncode == 0, again.stderr
    assert "0 added, 0 updated, 2 unchanged" in again.stdout and "0 chunks embedded" in again.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ask", "   "), "the question is empty"),
        (("delete", "no-such-doc"), "no document with id 'no-such-doc'"),
        (("ingest", "/no/such/path"), "no such file or folder"),
        (("search", "x", "--date-from", "yesterday"), "YYYY-MM-DD"),
    ],
)
def test_bad_input_gets_a_one_line_error_not_a_traceback(data_dir, args, message):
    out = rag(*args, data_dir=data_dir)
    assert out.returncode == 2
    assert message in out.stderr and "Traceback" not in out.stderr
