"""Every endpoint of the real server, happy paths first, then bad input."""

from __future__ import annotations

import uuid

import pytest

from rag.loading import document_id

MUSK = "news/musk-china-ai-cooperation-2023.txt"
WAIC = "news/china-waic-global-ai-cooperation-2025.txt"


@pytest.fixture(scope="module")
def corpus_ids(server) -> dict[str, str]:
    with server.client() as c:
        documents = c.get("/documents", params={"limit": 500}).json()["documents"]
    by_source = {d["source"]: d["id"] for d in documents}
    assert MUSK in by_source and WAIC in by_source, by_source
    return by_source


# ---------------------------------------------------------------- operations


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready" and body["documents"] >= 2 and body["chunks"] >= 2


def test_openapi_and_docs(client):
    spec = client.get("/openapi.json").json()
    assert spec["info"]["description"]
    assert {t["name"] for t in spec["tags"]} == {"questions", "documents", "operations"}
    for path in ("/ask", "/search", "/documents", "/documents/{document_id}", "/documents/{document_id}/text", "/health", "/ready", "/metrics"):
        assert path in spec["paths"], path
    assert spec["components"]["schemas"]["AskRequest"]["examples"]
    assert "multipart/form-data" in spec["paths"]["/documents"]["post"]["requestBody"]["content"]
    # The documented citation is a real one.
    example = spec["components"]["schemas"]["AskResponse"]["examples"][0]["citations"][0]
    text = client.get(f"/documents/{example['document_id']}/text").text
    assert text[example["start"]:example["end"]] == example["quote"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_metrics(client, server):
    client.get("/health")
    client.post("/search", json={"query": "artificial intelligence"})
    client.get("/no/such/route")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    assert "# TYPE rag_http_requests_total counter" in text
    assert 'rag_http_requests_total{route="/search",method="POST",status="200"}' in text
    assert 'rag_http_requests_total{route="unmatched",method="GET",status="404"}' in text
    assert "# TYPE rag_http_request_duration_seconds histogram" in text
    assert 'rag_http_request_duration_seconds_bucket{route="/search",le="+Inf"}' in text
    assert 'rag_http_request_duration_seconds_count{route="/health"}' in text
    documents = client.get("/ready").json()["documents"]
    gauges = dict(line.split(" ", 1) for line in text.splitlines() if line.startswith(("rag_documents ", "rag_chunks ", "rag_ready ")))
    assert int(gauges["rag_documents"]) == documents
    assert int(gauges["rag_chunks"]) > 0 and gauges["rag_ready"] == "1"


# ---------------------------------------------------------------- documents


def test_list_documents_paged(client, corpus_ids):
    everything = client.get("/documents", params={"limit": 500}).json()
    assert everything["offset"] == 0 and everything["limit"] == 500
    assert everything["total"] == len(everything["documents"]) >= 2
    first = client.get("/documents", params={"offset": 0, "limit": 1}).json()
    second = client.get("/documents", params={"offset": 1, "limit": 1}).json()
    assert len(first["documents"]) == len(second["documents"]) == 1
    assert first["documents"][0]["id"] != second["documents"][0]["id"]
    beyond = client.get("/documents", params={"offset": 10_000}).json()
    assert beyond["documents"] == [] and beyond["total"] == everything["total"]
    doc = first["documents"][0]
    assert set(doc) == {"id", "title", "source", "sha256", "metadata", "chunk_count", "char_count", "page_count", "ingested_at",
                        "status", "status_basis", "date", "effective_from", "applies_from", "revoked_on", "revoked_by",
                        "superseded_by", "status_evidence", "applications"}
    assert doc["status"] == "non-binding" and doc["status_basis"] == "document type"  # the news reports
    assert doc["date"] == doc["metadata"]["date"]


@pytest.mark.parametrize("params, field", [({"limit": 0}, "limit"), ({"limit": 10_000}, "limit"), ({"offset": -1}, "offset"), ({"limit": "many"}, "limit")])
def test_list_documents_bad_paging(client, expect_error, params, field):
    error = expect_error(client.get("/documents", params=params), 422, "validation_error")
    assert field in error["message"]


def test_get_document_and_text(client, corpus_ids):
    doc_id = corpus_ids[MUSK]
    doc = client.get(f"/documents/{doc_id}").json()
    assert doc["id"] == doc_id and doc["source"] == MUSK and len(doc["sha256"]) == 64
    assert doc["chunk_count"] >= 1 and doc["title"]
    text = client.get(f"/documents/{doc_id}/text")
    assert text.status_code == 200
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert len(text.text) == doc["char_count"]
    assert "Musk" in text.text


def test_unknown_document_and_route(client, expect_error):
    expect_error(client.get("/documents/no-such-document"), 404, "document_not_found")
    expect_error(client.get("/documents/no-such-document/text"), 404, "document_not_found")
    expect_error(client.delete("/documents/no-such-document"), 404, "document_not_found")
    expect_error(client.get("/no/such/route"), 404, "not_found")
    expect_error(client.put("/ask", json={}), 405, "method_not_allowed")


def test_add_text_document_then_delete(client, check, expect_error):
    marker = uuid.uuid4().hex[:8]
    body = {
        "title": f"Robot registry memo {marker}",
        "text": f"The robot registry of Freedonia opens in March. Every delivery robot must carry plate {marker}.\n\n"
        "Operators who skip registration pay a fine of 900 ducats.",
        "metadata": {"doc_type": "memo", "jurisdiction": "FD"},
    }
    created = client.post("/documents", json=body)
    assert created.status_code == 201, created.text
    stored = created.json()
    assert stored["status"] == "added"
    doc = stored["document"]
    assert doc["title"] == body["title"] and doc["metadata"]["doc_type"] == "memo"
    assert created.headers["location"] == f"/documents/{doc['id']}"
    assert client.get(f"/documents/{doc['id']}/text").text == body["text"]

    again = client.post("/documents", json=body)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert again.json()["document"]["id"] == doc["id"]

    answer = client.post("/ask", json={"question": "What fine do operators pay for skipping registration?", "filters": {"document_ids": [doc["id"]]}}).json()
    check.answer(client, answer)
    assert not answer["abstained"]
    assert {c["document_id"] for c in answer["citations"]} == {doc["id"]}
    assert any("900 ducats" in c["quote"] for c in answer["citations"]), answer

    assert client.delete(f"/documents/{doc['id']}").status_code == 204
    check.forget(doc["id"])
    expect_error(client.get(f"/documents/{doc['id']}"), 404, "document_not_found")
    expect_error(client.delete(f"/documents/{doc['id']}"), 404, "document_not_found")


def test_upload_markdown_with_metadata(client, check):
    marker = uuid.uuid4().hex[:8]
    name = f"lighthouse-{marker}.md"
    content = (
        "---\ntitle: Lighthouse AI charter\n---\n# Lighthouse AI charter\n\n"
        f"The Lighthouse charter {marker} requires every coastal AI beacon to log its decisions for seven years.\n"
    ).encode()
    response = client.post(
        "/documents",
        files={"file": (name, content, "text/markdown")},
        data={"metadata": '{"doc_type": "charter", "jurisdiction": "LH", "date": "2024-05-01"}'},
    )
    assert response.status_code == 201, response.text
    doc = response.json()["document"]
    assert doc["id"] == document_id(f"uploads/{name}")
    assert doc["source"] == f"uploads/{name}"
    assert doc["title"] == "Lighthouse AI charter"
    assert doc["metadata"]["jurisdiction"] == "LH"
    results = client.post("/search", json={"query": "coastal beacon decisions log", "filters": {"jurisdiction": "LH"}}).json()["results"]
    assert results and {r["document_id"] for r in results} == {doc["id"]}
    check.passages(client, results)
    assert client.delete(f"/documents/{doc['id']}").status_code == 204


def test_upload_pdf(client, check, pdf_maker, policy_text):
    topic = f"orchard drone {uuid.uuid4().hex[:6]}"
    data = pdf_maker(policy_text(topic, pages=2, lines_per_page=6), title="Orchard drone rules")
    response = client.post("/documents", files={"file": ("orchard-rules.pdf", data, "application/pdf")})
    assert response.status_code in (200, 201), response.text
    doc = response.json()["document"]
    assert doc["page_count"] == 2 and doc["title"] == "Orchard drone rules"
    answer = client.post(
        "/ask", json={"question": f"Within how many days must operators of {topic} systems in district 2 file audit report number 203?",
                      "filters": {"document_ids": [doc["id"]]}}
    ).json()
    check.answer(client, answer)
    assert answer["citations"] and all(c["page"] in (1, 2) for c in answer["citations"])
    assert client.delete(f"/documents/{doc['id']}").status_code == 204


@pytest.mark.parametrize("raw_name", ["../../evil.txt", "..\\..\\evil.txt", "/etc/../../evil.txt", "....//evil.txt"])
def test_upload_path_traversal_name(client, server, raw_name, tmp_path_factory):
    content = f"Evil twin note {uuid.uuid4().hex}. Nothing outside the store is written.".encode()
    response = client.post("/documents", files={"file": (raw_name, content, "text/plain")})
    assert response.status_code in (200, 201), response.text
    doc = response.json()["document"]
    assert doc["id"] == document_id("uploads/evil.txt") == "uploads__evil.txt"
    assert doc["source"] == "uploads/evil.txt"
    # Nothing named after the upload anywhere the server could reach with it.
    roots = {server.settings.data_dir, server.settings.data_dir.parent, server.settings.data_dir.parent.parent, tmp_path_factory.getbasetemp()}
    for root in roots:
        assert not [p for p in root.rglob("evil*")], root
    from pathlib import Path

    assert not Path("evil.txt").exists() and not Path("/etc/evil.txt").exists()
    assert client.delete(f"/documents/{doc['id']}").status_code == 204


# ---------------------------------------------------------------- upload errors


@pytest.mark.parametrize(
    "name, content, status, code",
    [
        ("notes.docx", b"PK\x03\x04 some zipped bytes", 415, "unsupported_format"),
        ("no-suffix", b"plain words", 415, "unsupported_format"),
        ("empty.txt", b"", 422, "empty_document"),
        ("blank.md", b"   \n\n \t \n", 422, "empty_document"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ntrailer garbage\n%%EOF", 422, ("corrupt_document", "empty_document")),
        ("fake.pdf", b"this is not a PDF at all", 422, "corrupt_document"),
        ("binary.txt", b"\x00\x01\x02\x03" * 100, 422, "corrupt_document"),
    ],
)
def test_upload_bad_files(client, expect_error, name, content, status, code):
    before = client.get("/ready").json()["documents"]
    expect_error(client.post("/documents", files={"file": (name, content, "application/octet-stream")}), status, code)
    assert client.get("/ready").json()["documents"] == before


def test_upload_bad_requests(client, expect_error):
    text = ("doc.txt", b"Some text.", "text/plain")
    expect_error(client.post("/documents", data={"metadata": "{}"}, files={"other": text}), 422, "validation_error")
    expect_error(client.post("/documents", files={"file": text}, data={"metadata": "{not json"}), 400, "malformed_json")
    expect_error(client.post("/documents", files={"file": text}, data={"metadata": "[1, 2]"}), 400, "invalid_input")
    expect_error(client.post("/documents", files={"file": text}, data={"metadata": '{"id": "../x"}'}), 400, "invalid_input")
    expect_error(client.post("/documents", content=b"raw words", headers={"content-type": "text/plain"}), 415, "unsupported_media_type")
    expect_error(client.post("/documents", content=b"--x\r\n", headers={"content-type": "multipart/form-data"}), 400, "bad_request")
    expect_error(client.post("/documents", content=b'{"title": "x", "text": ', headers={"content-type": "application/json"}), 400, "malformed_json")
    error = expect_error(client.post("/documents", json={"title": "No text"}), 422, "validation_error")
    assert "text" in error["message"]
    blank = expect_error(client.post("/documents", json={"title": "Blank", "text": "  \n "}), 422, "validation_error")
    assert blank["message"].startswith("text:"), blank
    expect_error(client.post("/documents", json={"title": "x", "text": "y", "id": "z"}), 422, "validation_error")


def test_upload_too_large(client, server, expect_error):
    before = client.get("/ready").json()["documents"]
    limit = server.settings.max_upload_bytes
    big = b"word " * (limit // 5 + 1000)
    # Declared length over the limit: refused before the body is read.
    expect_error(client.post("/documents", files={"file": ("big.txt", big, "text/plain")}), 413, "too_large")

    # No declared length (chunked): counted while it arrives.
    def chunks():
        yield b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="big.txt"\r\n\r\n'
        for _ in range(limit // 65536 + 4):
            yield b"y" * 65536

    multipart = {"content-type": "multipart/form-data; boundary=b0undary"}
    expect_error(client.post("/documents", content=chunks(), headers=multipart), 413, "too_large")
    # A file just over the limit inside a body within the body allowance.
    expect_error(client.post("/documents", files={"file": ("edge.txt", b"z" * (limit + 1), "text/plain")}), 413, "too_large")
    expect_error(client.post("/documents", json={"title": "Huge", "text": "w" * (limit + 1)}), 413, "too_large")
    # Question bodies have a small limit of their own.
    expect_error(client.post("/ask", content=b"{" + b" " * 2_000_000 + b"}", headers={"content-type": "application/json"}), 413, "too_large")
    assert client.get("/ready").json()["documents"] == before


# ---------------------------------------------------------------- search and ask


def test_search(client, check, corpus_ids):
    results = client.post("/search", json={"query": "Li Qiang international cooperation on AI governance"}).json()["results"]
    assert results
    assert set(results[0]) == {"document_id", "title", "section", "page", "start", "end", "text", "score", "status", "date"}
    check.passages(client, results)
    one = client.post("/search", json={"query": "semiconductor export restrictions", "top_k": 1}).json()["results"]
    assert len(one) == 1
    only = client.post("/search", json={"query": "regulation", "filters": {"document_ids": [corpus_ids[MUSK]]}}).json()["results"]
    assert only and {r["document_id"] for r in only} == {corpus_ids[MUSK]}


def test_search_modes_are_the_pipelines(server, client, check, expect_error):
    """dense and bm25 are each index alone (the evaluation's baselines over HTTP), hybrid the default."""
    query = "semiconductor export restrictions on chips"
    by_mode = {}
    for mode in ("hybrid", "dense", "bm25"):
        results = client.post("/search", json={"query": query, "top_k": 5, "mode": mode}).json()["results"]
        assert results, mode
        check.passages(client, results)
        expected = server.pipeline.search(query, top_k=5, mode=mode)
        assert [(r["document_id"], r["start"], r["score"]) for r in results] == [(p.document_id, p.start, p.score) for p in expected]
        by_mode[mode] = [(r["document_id"], r["start"], r["score"]) for r in results]
    default = client.post("/search", json={"query": query, "top_k": 5}).json()["results"]
    assert by_mode["hybrid"] == [(r["document_id"], r["start"], r["score"]) for r in default]
    assert by_mode["dense"] != by_mode["bm25"]
    expect_error(client.post("/search", json={"query": query, "mode": "fuzzy"}), 422, "validation_error")


def test_ask(client, check, corpus_ids):
    response = client.post("/ask", json={"question": "What did Elon Musk say about China and AI regulation?"})
    assert response.status_code == 200
    answer = response.json()
    assert set(answer) >= {"answer", "abstained", "citations", "passages", "timings_ms"}
    assert not answer["abstained"]
    check.answer(client, answer)
    assert corpus_ids[MUSK] in {c["document_id"] for c in answer["citations"]}
    assert set(answer["citations"][0]) == {"n", "document_id", "title", "section", "page", "start", "end", "quote", "score",
                                           "status", "date"}


def test_ask_with_filters(client, check, corpus_ids):
    waic = corpus_ids[WAIC]
    answer = client.post("/ask", json={"question": "Who called for global cooperation on AI?", "top_k": 3, "filters": {"document_ids": [waic]}}).json()
    check.answer(client, answer)
    assert not answer["abstained"] and answer["passages"], answer
    assert {c["document_id"] for c in answer["citations"]} == {waic}
    assert {p["document_id"] for p in answer["passages"]} == {waic} and len(answer["passages"]) <= 3


@pytest.mark.parametrize(
    "filters, source",
    [
        ({"jurisdiction": "china"}, WAIC),
        ({"jurisdiction": ["international"], "doc_type": "news"}, MUSK),
        ({"date_from": "2024-01-01"}, WAIC),
        ({"date_to": "2023-12-31"}, MUSK),
        ({"publisher": "news report", "date_from": "2023-01-01", "date_to": "2023-12-31"}, MUSK),
    ],
)
def test_metadata_filters(client, check, corpus_ids, filters, source):
    """The built-in corpus carries catalogue metadata; filters select on it."""
    results = client.post("/search", json={"query": "international cooperation on AI rules", "filters": filters}).json()["results"]
    assert results and {r["document_id"] for r in results} == {corpus_ids[source]}, results
    check.passages(client, results)
    answer = client.post("/ask", json={"question": "Who wants international cooperation on AI rules?", "filters": filters}).json()
    check.answer(client, answer)
    assert not answer["abstained"], answer
    assert {c["document_id"] for c in answer["citations"]} == {corpus_ids[source]}


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"question": ""}, 400, "invalid_input", None),
        ({"question": "   \n "}, 400, "invalid_input", None),
        ({"question": "why " * 300}, 400, "invalid_input", None),
        ({}, 422, "validation_error", "question"),
        ({"question": 42}, 422, "validation_error", "question"),
        ({"question": "What is AI?", "top_k": 0}, 422, "validation_error", "top_k"),
        ({"question": "What is AI?", "top_k": 51}, 422, "validation_error", "top_k"),
        ({"question": "What is AI?", "colour": "red"}, 422, "validation_error", "colour"),
        ({"question": "What is AI?", "filters": {"document_ids": "one"}}, 422, "validation_error", "filters.document_ids"),
        ({"question": "What is AI?", "filters": {"date_from": "last spring"}}, 422, "validation_error", "filters.date_from"),
    ],
)
def test_ask_bad_input(client, expect_error, body, status, code, field):
    error = expect_error(client.post("/ask", json=body), status, code)
    if field:
        assert field in error["message"], error


def test_malformed_json(client, expect_error):
    headers = {"content-type": "application/json"}
    expect_error(client.post("/ask", content=b'{"question": "What is AI?"', headers=headers), 400, "malformed_json")
    expect_error(client.post("/search", content=b"{'query': 'single quotes'}", headers=headers), 400, "malformed_json")
    expect_error(client.post("/ask", content=b'["a list"]', headers=headers), 422, "validation_error")
    expect_error(client.post("/search", json={"query": "", "top_k": 5}), 400, "invalid_input")
    expect_error(client.post("/search", json={"query": "AI", "top_k": 101}), 422, "validation_error")


def test_status_and_dates_over_http(client, check, expect_error):
    marker = uuid.uuid4().hex[:6]
    lanes = {
        "title": f"Executive Order 19001: Robot Lanes {marker}",
        "text": "Section 1. Purpose. Delivery robots shall use the robot lanes painted on every avenue.\n\n"
        "Sec. 2. Lanes. Each city shall paint robot lanes at least two metres wide on its main avenues.",
        "metadata": {"doc_type": "executive_order", "jurisdiction": "FD", "date": "2024-01-10"},
    }
    parking = {
        "title": f"Executive Order 19002: Robot Parking {marker}",
        "text": "Section 1. Parking. Delivery robots shall park in marked bays only.\n\n"
        f"Sec. 2. Revocation. Executive Order 19001 of January 10, 2024 (Robot Lanes {marker}), is hereby revoked.",
        "metadata": {"doc_type": "executive_order", "jurisdiction": "FD", "date": "2025-03-01"},
    }
    first = client.post("/documents", json=lanes).json()["document"]
    assert first["status"] == "in force" and first["status_basis"] == "document type"
    second = client.post("/documents", json=parking).json()["document"]
    try:
        revoked = client.get(f"/documents/{first['id']}").json()
        assert revoked["status"] == "revoked" and revoked["status_basis"] == "text"
        assert revoked["revoked_on"] == "2025-03-01" and revoked["revoked_by"] == parking["title"]
        (evidence,) = revoked["status_evidence"]
        assert evidence["document_id"] == second["id"] and evidence["quote"].endswith("is hereby revoked.")
        assert check.text(client, second["id"])[evidence["start"]:evidence["end"]] == evidence["quote"]
        listed = {d["id"]: d for d in client.get("/documents", params={"limit": 500}).json()["documents"]}
        assert listed[first["id"]]["status"] == "revoked" and listed[second["id"]]["status"] == "in force"

        both = {"document_ids": [first["id"], second["id"]]}
        search = client.post("/search", json={"query": "delivery robots", "filters": {**both, "in_force": True}}).json()
        assert {r["document_id"] for r in search["results"]} == {second["id"]}
        assert all(r["status"] == "in force" and r["date"] == "2025-03-01" for r in search["results"])
        earlier = client.post("/search", json={"query": "delivery robots", "filters": {**both, "as_of": "2024-06-01"}}).json()
        assert {r["document_id"] for r in earlier["results"]} == {first["id"]}

        answer = client.post("/ask", json={"question": "How wide must the robot lanes be under Executive Order 19001?",
                                           "filters": {"document_ids": [first["id"]]}}).json()
        check.answer(client, answer)
        assert not answer["abstained"]
        assert answer["citations"][0]["status"] == "revoked" and answer["citations"][0]["date"] == "2024-01-10"
        assert answer["warnings"] and "revoked on 2025-03-01" in answer["warnings"][0]
        assert "which was revoked on 2025-03-01" in answer["answer"]
        assert answer["citations"][-1]["document_id"] == second["id"]  # the revoking sentence, cited
        assert answer["understood"]["documents"][0]["document_id"] == first["id"]

        status = client.post("/ask", json={"question": "Is Executive Order 19001 still in force?"}).json()
        check.answer(client, status)
        assert "was revoked on 2025-03-01" in status["answer"] and status["citations"][0]["document_id"] == second["id"]

        expect_error(client.post("/search", json={"query": "robots", "filters": {"in_force": "sometimes"}}), 422,
                     "validation_error")
        expect_error(client.post("/ask", json={"question": "robots?", "filters": {"as_of": "2024-13-01"}}), 422,
                     "validation_error")
    finally:
        for doc in (first, second):
            assert client.delete(f"/documents/{doc['id']}").status_code == 204
            check.forget(doc["id"])


def test_refusals_say_why(client):
    answer = client.post("/ask", json={"question": "What does Japan's AI Promotion Act require of companies?"}).json()
    assert answer["abstained"] and answer["abstain_reason"] == "not_in_corpus"
    assert answer["answer"].startswith("The corpus does not include Japan's AI Promotion Act; the closest")
    assert "Japan's AI Promotion Act" in answer["understood"]["not_in_corpus"]
    search = client.post("/search", json={"query": "What did Musk say about China?"}).json()
    assert search["understood"]["jurisdictions"] == ["china"]
