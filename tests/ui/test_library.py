"""The library: list, search, sort, upload (with the server's errors shown as is) and delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.slow  # a real browser against a real server

ROWS = "[data-testid=document-list] [data-testid=document-row]"
POLICY = (
    "Harbour Drone Code\n\n"
    "Section 1. Every operator of a harbour inspection drone must register it with the port authority.\n\n"
    "Section 2. Registered drones must carry a visible registration plate of at least 4 centimetres.\n"
)


def library(server: Any, open_page: Any, **kwargs: Any) -> Any:
    page = open_page(f"{server.url}/ui/documents", **kwargs)
    page.locator(ROWS).first.wait_for()
    return page


def row_ids(page: Any) -> list[str]:
    return page.locator(ROWS).evaluate_all("rows => rows.map(r => r.dataset.documentId)")


def upload(page: Any, path: Path, **fields: str) -> None:
    page.locator("#u-file").set_input_files(str(path))
    for name, value in fields.items():
        page.locator(f"#upload-form [name={name}]").fill(value)
    page.locator("#upload-form button[type=submit]").click()


def server_error(server: Any, name: str, data: bytes) -> str:
    with server.client() as client:
        response = client.post("/documents", files={"file": (name, data)})
    assert response.status_code >= 400, response.text
    return response.json()["error"]["message"]


def test_list_shows_every_document_and_sorts(server, open_page, screenshots):
    with server.client() as client:
        documents = client.get("/documents").json()["documents"]
    page = library(server, open_page)
    assert sorted(row_ids(page)) == sorted(d["id"] for d in documents)
    by_title = [d["id"] for d in sorted(documents, key=lambda d: d["title"])]
    assert row_ids(page) == by_title
    page.locator("button.sort[data-sort=title]").click()
    assert row_ids(page) == by_title[::-1]
    assert page.locator("th:has(button[data-sort=title])").get_attribute("aria-sort") == "descending"
    page.locator("button.sort[data-sort=date]").click()
    assert row_ids(page) == [d["id"] for d in sorted(documents, key=lambda d: d["metadata"]["date"])]
    first = documents[0]
    cells = page.locator(f"{ROWS}[data-document-id='{first['id']}'] td").all_text_contents()
    assert cells[:6] == [
        first["title"], first["metadata"]["jurisdiction"], first["metadata"]["doc_type"],
        first["metadata"]["date"], first["metadata"].get("status", "–"), str(first["chunk_count"]),
    ]
    page.locator("#doc-search").fill("waic")
    assert row_ids(page) == [d["id"] for d in documents if "waic" in d["id"]]
    page.locator("#doc-search").fill("")
    page.screenshot(path=str(screenshots / "library.png"), full_page=True)


def test_upload_then_find_then_delete_with_confirmation(server, open_page, tmp_path):
    page = library(server, open_page)
    path = tmp_path / "harbour-drone-code.txt"
    path.write_text(POLICY, encoding="utf-8")
    upload(page, path, title="Harbour Drone Code", jurisdiction="harbourland", doc_type="regulation")
    status = page.locator("#upload-status")
    sync_api.expect(status).to_contain_text("Added")
    assert status.text_content().startswith("Added “Harbour Drone Code”")
    with server.client() as client:
        listed = {d["title"]: d for d in client.get("/documents").json()["documents"]}
    stored = listed["Harbour Drone Code"]
    assert stored["metadata"]["jurisdiction"] == "harbourland"
    row = page.locator(f"{ROWS}[data-document-id='{stored['id']}']")
    row.wait_for()
    assert "Harbour Drone Code" in row.text_content()

    row.locator("button[data-action=delete]").click()
    dialog = page.locator("dialog#confirm-delete")
    assert dialog.is_visible() and "Harbour Drone Code" in dialog.text_content()
    dialog.locator("button[value=cancel]").click()
    assert not dialog.is_visible()
    assert stored["id"] in row_ids(page)
    with server.client() as client:
        assert client.get(f"/documents/{stored['id']}").status_code == 200

    row.locator("button[data-action=delete]").click()
    dialog.locator("button[value=delete]").click()
    row.wait_for(state="detached")
    assert page.locator("#list-status").text_content() == f"Deleted {stored['id']}."
    with server.client() as client:
        assert client.get(f"/documents/{stored['id']}").status_code == 404


def test_bad_uploads_show_the_server_message(server, open_page, tmp_path):
    page = library(server, open_page)
    before = row_ids(page)
    cases = {
        "setup.exe": b"MZ\x90\x00\x03\x00\x00\x00",
        "empty.txt": b"",
        "large.txt": b"word " * (server.upload_limit // 5 + 1),
    }
    error = page.locator("#upload-error")
    for name, data in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        expected = server_error(server, name, data)
        upload(page, path)
        sync_api.expect(error).to_have_text(expected)
        assert error.is_visible() and error.text_content() == expected
    assert row_ids(page) == before


def test_protected_writes_ask_for_the_key(start_serve, open_page, tmp_path):
    empty = tmp_path / "corpus"
    empty.mkdir()
    server = start_serve(empty, RAG_API_KEY="page-test-key")
    page = open_page(f"{server.url}/ui/documents")
    page.locator("#doc-rows .empty").wait_for()
    assert page.locator("#key-bar").is_visible()  # the server says writes need a key
    path = tmp_path / "harbour.txt"
    path.write_text(POLICY, encoding="utf-8")
    upload(page, path)
    with server.client() as client:
        expected = client.post("/documents", files={"file": ("harbour.txt", POLICY.encode())}).json()["error"]["message"]
    sync_api.expect(page.locator("#upload-error")).to_have_text(expected)
    assert page.locator("#upload-error").text_content() == expected
    page.locator("#api-key").fill("page-test-key")
    upload(page, path)
    page.locator(ROWS).first.wait_for()
    assert len(row_ids(page)) == 1
    page.locator(f"{ROWS} button[data-action=delete]").click()
    page.locator("dialog#confirm-delete button[value=delete]").click()
    page.locator(ROWS).first.wait_for(state="detached")
    with server.client() as client:
        assert client.get("/documents").json()["total"] == 0
