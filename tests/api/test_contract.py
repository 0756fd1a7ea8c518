"""The OpenAPI document describes what the server enforces (the fuzz test checks it in bulk)."""

from __future__ import annotations

import pytest

from api.app import create_app
from rag.config import Settings

WRITES = {("post", "/documents"), ("delete", "/documents/{document_id}")}
OPEN = {("get", "/health"), ("get", "/ready")}


def _secured(settings: Settings) -> tuple[set[tuple[str, str]], dict]:
    document = create_app(settings).openapi()
    operations = {(m, p): op for p, item in document["paths"].items() for m, op in item.items()}
    return {key for key, op in operations.items() if op.get("security")}, document


@pytest.mark.parametrize(
    "key, protect_reads, expected",
    [(None, False, "none"), (None, True, "none"), ("k", False, "writes"), ("k", True, "all")],
)
def test_security_follows_the_settings(tmp_path, key, protect_reads, expected):
    secured, document = _secured(Settings(data_dir=tmp_path, api_key=key, protect_reads=protect_reads))
    every = {(m, p) for p, item in document["paths"].items() for m in item}
    assert secured == {"none": set(), "writes": WRITES, "all": every - OPEN}[expected]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            assert ("401" in operation["responses"]) == ((method, path) in secured), (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/json"], (method, path, status)
    assert ("securitySchemes" in document["components"]) == bool(secured)


def test_request_bounds_are_in_the_schema(tmp_path):
    document = create_app(Settings(data_dir=tmp_path, max_question_chars=321)).openapi()
    schemas = document["components"]["schemas"]
    for model, field in (("AskRequest", "question"), ("SearchRequest", "query")):
        assert schemas[model]["properties"][field] | {"minLength": 1, "maxLength": 321, "pattern": r"\S"} == \
            schemas[model]["properties"][field]
    offset = next(p for p in document["paths"]["/documents"]["get"]["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 1_000_000_000


def test_bounds_the_schema_states_are_enforced(client, expect_error):
    expect_error(client.get("/documents", params={"offset": 10**35}), 422, "validation_error")
    expect_error(client.post("/ask", json={"question": "What is AI?", "stream": 0}), 422, "validation_error")
    expect_error(client.post("/search", json={"query": "AI", "top_k": "5"}), 422, "validation_error")
    expect_error(client.post("/search", json={"query": "AI", "filters": {"jurisdiction": []}}), 422, "validation_error")
    expect_error(client.post("/search", json={"query": "AI", "filters": {"topic": {"a": 1}}}), 422, "validation_error")
    assert client.post("/search", json={"query": "AI", "top_k": 5.0}).status_code == 200


@pytest.mark.parametrize(
    "path, allowed", [("/documents", "GET, POST"), ("/documents/x", "DELETE, GET"), ("/ask", "POST")]
)
def test_405_lists_every_allowed_method(client, expect_error, path, allowed):
    response = client.request("PUT", path)
    expect_error(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allowed
