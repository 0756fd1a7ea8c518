"""The document view at its stable URL /ui/documents/{id}#{start}-{end}."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.slow  # a real browser against a real server

QUESTION = "What did Musk say China is interested in?"
HIGHLIGHT = "mark[data-testid=highlight]"


def span_url(server: Any, document_id: str, start: int, end: int) -> str:
    return f"{server.url}/ui/documents/{quote(document_id)}#{start}-{end}"


def highlight(page: Any) -> str:
    mark = page.locator(f"[data-testid=document-view] {HIGHLIGHT}")
    mark.wait_for()
    assert mark.count() == 1
    return mark.text_content()


def shown_text(page: Any) -> str:
    return page.locator("#doc-text").text_content()


@pytest.fixture()
def stored(server: Any) -> Iterator[Any]:
    """store(title, text) -> (id, stored text); every document stored is deleted afterwards."""
    ids: list[str] = []
    with server.client() as client:

        def store(title: str, text: str) -> tuple[str, str]:
            response = client.post("/documents", json={"title": title, "text": text, "metadata": {"doc_type": "note"}})
            assert response.status_code == 201, response.text
            document_id = response.json()["document"]["id"]
            ids.append(document_id)
            return document_id, client.get(f"/documents/{document_id}/text").text

        yield store
        for document_id in ids:
            client.delete(f"/documents/{document_id}")


def test_stable_url_of_every_citation(server, open_page, screenshots):
    with server.client() as client:
        answer = client.post("/ask", json={"question": QUESTION}).json()
        texts = {c["document_id"]: client.get(f"/documents/{c['document_id']}/text").text for c in answer["citations"]}
    assert answer["citations"]
    page = open_page(span_url(server, answer["citations"][0]["document_id"], 0, 1))
    for citation in answer["citations"]:
        page.goto(span_url(server, citation["document_id"], citation["start"], citation["end"]))
        page.reload()  # a fresh load of the stable URL, not only a change of fragment
        expected = texts[citation["document_id"]][citation["start"]:citation["end"]]
        assert highlight(page) == expected == citation["quote"]
        assert page.locator("h1.doc-title").text_content() == citation["title"]
        assert f"characters {citation['start']}–{citation['end']}" in page.locator("#doc-span").text_content()
        assert shown_text(page) == texts[citation["document_id"]]  # a short document is shown whole
    page.locator("#copy-link").click()
    page.wait_for_function("url => document.querySelector('#copy-status').textContent.endsWith(url)", arg=page.url)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(screenshots / "document.png"))


def test_fragment_change_moves_the_highlight(server, open_page):
    with server.client() as client:
        first = client.post("/ask", json={"question": QUESTION}).json()["citations"][0]
        passages = client.post("/search", json={"query": QUESTION, "filters": {"document_ids": [first["document_id"]]}}).json()
    # another span of the same document: a passage that does not hold the quoted sentence
    second = next(p for p in passages["results"] if p["end"] <= first["start"] or p["start"] >= first["end"])
    page = open_page(span_url(server, first["document_id"], first["start"], first["end"]))
    assert highlight(page) == first["quote"]
    page.evaluate(f"window.location.hash = '{second['start']}-{second['end']}'")
    sync_api.expect(page.locator(HIGHLIGHT)).to_have_text(second["text"])
    assert highlight(page) == second["text"]


def test_long_document_shows_a_window_and_loads_more(server, open_page, stored):
    paragraphs = [
        f"Paragraph {i}. Operators of survey drones in zone {i} must file flight log {1000 + i} "
        f"with the aviation registry within {i % 20 + 1} days of each flight." for i in range(600)
    ]
    document_id, text = stored("Drone registry rules", "\n\n".join(paragraphs))
    target = "Operators of survey drones in zone 480 must file flight log 1480"
    start = text.index(target)
    end = text.index(".", start) + 1
    page = open_page(span_url(server, document_id, start, end))
    assert highlight(page) == text[start:end]
    rendered = shown_text(page)
    assert len(rendered) < len(text) / 3 and rendered in text
    before = page.locator("#more-before")
    clicks = 0
    while before.is_visible():
        length = len(shown_text(page))
        before.click()
        assert len(shown_text(page)) > length
        assert highlight(page) == text[start:end]
        clicks += 1
    assert clicks >= 2
    assert text.startswith(shown_text(page))
    after = page.locator("#more-after")
    while after.is_visible():
        after.click()
    assert shown_text(page) == text
    assert highlight(page) == text[start:end]


def test_offsets_count_characters_beyond_the_basic_plane(server, open_page, stored):
    """The API counts code points; the page must not slice UTF-16 units (emoji, math letters)."""
    document_id, text = stored(
        "Signs and symbols",
        "Symbols first: 😀 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🇪🇺 and more 🚀🚀.\n\nThe registry must publish every 𝔫𝔬𝔱𝔦𝔠𝔢 within 5 days. Then more text.",
    )
    sentence = "The registry must publish every 𝔫𝔬𝔱𝔦𝔠𝔢 within 5 days."
    start = text.index(sentence)
    end = start + len(sentence)
    page = open_page(span_url(server, document_id, start, end))
    assert highlight(page) == sentence == text[start:end]
    assert shown_text(page) == text


def test_bad_links_say_what_is_wrong(server, open_page):
    with server.client() as client:
        missing = client.get("/documents/no-such-document.txt").json()["error"]["message"]
        document = client.get("/documents").json()["documents"][0]
    page = open_page(f"{server.url}/ui/documents/no-such-document.txt#0-10")
    error = page.locator("#doc-error")
    error.wait_for()
    assert error.text_content() == missing

    page.goto(span_url(server, document["id"], 5, document["char_count"] + 10))
    error.wait_for()
    assert error.text_content() == f"The passage 5-{document['char_count'] + 10} lies outside this document ({document['char_count']} characters)."
    assert page.locator(HIGHLIGHT).count() == 0

    page.goto(f"{server.url}/ui/documents/{quote(document['id'])}#intro")
    page.reload()
    sync_api.expect(error).to_contain_text("#intro")
    assert page.locator("h1.doc-title").text_content() == document["title"]
