"""API keys: writes need one when the server has a key; reads only when protect_reads.

These servers share the main server's pipeline (and data folder), so no model
is loaded again.
"""

from __future__ import annotations

import uuid

import pytest

KEY = "correct-horse-battery-staple"


@pytest.fixture(scope="module")
def writes_protected(server, start_server, settings_for):
    return start_server(settings_for(server.settings.data_dir, api_key=KEY), pipeline=server.pipeline)


@pytest.fixture(scope="module")
def all_protected(server, start_server, settings_for):
    return start_server(settings_for(server.settings.data_dir, api_key=KEY, protect_reads=True), pipeline=server.pipeline)


def _note() -> dict:
    marker = uuid.uuid4().hex[:10]
    return {"title": f"Key test {marker}", "text": f"Keyed note {marker}. Only holders of the key may store it."}


BAD_HEADERS = [
    {},
    {"authorization": "Bearer wrong-key"},
    {"authorization": f"Bearer {KEY}x"},
    {"authorization": f"Basic {KEY}"},
    {"authorization": KEY},
    {"authorization": "Bearer"},
]


@pytest.mark.parametrize("headers", BAD_HEADERS)
def test_writes_need_the_key(writes_protected, expect_error, headers):
    with writes_protected.client() as c:
        before = c.get("/documents").json()["total"]
        note = _note()
        response = c.post("/documents", json=note, headers=headers)
        expect_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"
        upload = c.post("/documents", files={"file": ("keyed.txt", note["text"].encode(), "text/plain")}, headers=headers)
        expect_error(upload, 401, "unauthorized")
        assert c.get("/documents").json()["total"] == before  # nothing changed


def test_key_allows_writes_and_reads_stay_open(writes_protected, check, expect_error):
    auth = {"authorization": f"Bearer {KEY}"}
    with writes_protected.client() as c:
        created = c.post("/documents", json=_note(), headers=auth)
        assert created.status_code == 201, created.text
        doc_id = created.json()["document"]["id"]
        # Reads need no key here.
        assert c.get(f"/documents/{doc_id}").status_code == 200
        answer = c.post("/ask", json={"question": "Who may store the keyed note?", "filters": {"document_ids": [doc_id]}})
        assert answer.status_code == 200
        check.answer(c, answer.json())
        results = c.post("/search", json={"query": "keyed note"})
        assert results.status_code == 200
        check.passages(c, results.json()["results"])
        assert c.get("/metrics").status_code == 200
        # Deleting needs the key too; without it the document stays.
        expect_error(c.delete(f"/documents/{doc_id}"), 401, "unauthorized")
        expect_error(c.delete(f"/documents/{doc_id}", headers={"authorization": "Bearer nope"}), 401, "unauthorized")
        assert c.get(f"/documents/{doc_id}").status_code == 200
        assert c.delete(f"/documents/{doc_id}", headers=auth).status_code == 204
        check.forget(doc_id)


def test_protected_reads(all_protected, check, expect_error):
    auth = {"authorization": f"Bearer {KEY}"}
    with all_protected.client() as c:
        for method, path, body in [
            ("GET", "/documents", None),
            ("GET", "/documents/anything", None),
            ("GET", "/documents/anything/text", None),
            ("POST", "/ask", {"question": "What is AI?"}),
            ("POST", "/search", {"query": "AI"}),
            ("GET", "/metrics", None),
        ]:
            expect_error(c.request(method, path, json=body), 401, "unauthorized")
            expect_error(c.request(method, path, json=body, headers={"authorization": "Bearer wrong"}), 401, "unauthorized")
        assert c.get("/documents", headers=auth).status_code == 200
        answer = c.post("/ask", json={"question": "What did Musk say about AI regulation?"}, headers=auth)
        assert answer.status_code == 200
        check.answer(c, answer.json(), headers=auth)
        results = c.post("/search", json={"query": "AI"}, headers=auth)
        assert results.status_code == 200
        check.passages(c, results.json()["results"], headers=auth)
        assert c.get("/metrics", headers=auth).status_code == 200
        expect_error(c.get("/documents/anything", headers=auth), 404, "document_not_found")
        # Probes and the API description stay open.
        assert c.get("/health").status_code == 200
        assert c.get("/ready").status_code == 200
        assert c.get("/openapi.json").status_code == 200


def test_no_key_configured_means_open_writes(client):
    created = client.post("/documents", json=_note())
    assert created.status_code == 201
    assert client.delete(f"/documents/{created.json()['document']['id']}").status_code == 204
