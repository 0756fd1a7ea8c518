"""Pure helpers of the HTTP layer, without a server."""

from __future__ import annotations

import pytest

from api.errors import describe
from api.metrics import Metrics
from api.uploads import safe_file_name
from rag import errors as rag_errors


@pytest.mark.parametrize(
    "raw, safe",
    [
        ("report.pdf", "report.pdf"),
        ("../../evil.txt", "evil.txt"),
        ("..\\..\\windows\\evil.TXT", "evil.txt"),
        ("/etc/passwd", "passwd"),
        ("..", "upload"),
        ("", "upload"),
        (None, "upload"),
        (".hidden.md", "hidden.md"),
        ("a b\x00c;rm -rf.html", "a-bc-rm-rf.html"),
        ("résumé 2024.md", "r-sum-2024.md"),
        ("x" * 300 + ".pdf", "x" * 120 + ".pdf"),
    ],
)
def test_safe_file_name(raw, safe):
    assert safe_file_name(raw) == safe
    assert "/" not in safe and "\\" not in safe and ".." not in safe


def test_library_errors_map_to_statuses():
    assert describe(rag_errors.InvalidInput("bad"))[:2] == (400, "invalid_input")
    assert describe(rag_errors.DocumentNotFound("x"))[:2] == (404, "document_not_found")
    assert describe(rag_errors.UnsupportedFormat("x"))[:2] == (415, "unsupported_format")
    assert describe(rag_errors.EmptyDocument("x"))[:2] == (422, "empty_document")
    assert describe(rag_errors.CorruptDocument("x"))[:2] == (422, "corrupt_document")
    assert describe(rag_errors.DocumentTooLarge("x"))[:2] == (413, "too_large")
    assert describe(rag_errors.IndexMismatch("x"))[:2] == (503, "index_mismatch")
    status, code, message, _ = describe(RuntimeError("/secret/path"))
    assert (status, code) == (500, "internal_error") and "secret" not in message


def test_metrics_exposition():
    metrics = Metrics()
    metrics.observe("/ask", "POST", 200, 0.02)
    metrics.observe("/ask", "POST", 200, 3.0)
    metrics.observe('/we"ird', "GET", 404, 0.001)
    text = metrics.render({"rag_documents": ("Documents stored.", 7)})
    assert 'rag_http_requests_total{route="/ask",method="POST",status="200"} 2' in text
    assert 'rag_http_request_duration_seconds_bucket{route="/ask",le="0.025"} 1' in text
    assert 'rag_http_request_duration_seconds_bucket{route="/ask",le="5"} 2' in text
    assert 'rag_http_request_duration_seconds_bucket{route="/ask",le="+Inf"} 2' in text
    assert 'rag_http_request_duration_seconds_count{route="/ask"} 2' in text
    assert 'route="/we\\"ird"' in text
    assert "# TYPE rag_documents gauge\nrag_documents 7\n" in text
