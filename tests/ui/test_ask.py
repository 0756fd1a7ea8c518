"""Asking from the page: the answer streams in, and every citation opens its exact passage."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import make_pdf

pytestmark = pytest.mark.slow  # a real browser against a real server

QUESTION = "How does China want to cooperate on AI regulation?"
TWO_DOCUMENTS = "What did China propose at the World Artificial Intelligence Conference, and what did Musk say?"


def ask(page: Any, question: str) -> Any:
    form = page.locator("form[data-testid=ask-form]")
    form.locator("[name=question]").fill(question)
    form.locator("button[type=submit]").click()
    answer = page.locator("[data-testid=answer][data-state=done]")
    answer.wait_for()
    return answer


def api_answer(server: Any, question: str, **body: Any) -> dict:
    with server.client() as client:
        response = client.post("/ask", json={"question": question, **body})
        assert response.status_code == 200, response.text
        return response.json()


def page_citations(page: Any, selector: str = "[data-testid=citation]") -> list[dict]:
    return page.locator(selector).evaluate_all(
        "links => links.map(a => ({n: Number(a.dataset.n), document_id: a.dataset.documentId,"
        " start: Number(a.dataset.start), end: Number(a.dataset.end)}))"
    )


def expected_citations(answer: dict) -> list[dict]:
    return [{k: c[k] for k in ("n", "document_id", "start", "end")} for c in answer["citations"]]


def highlight_after_click(page: Any, link: Any) -> str:
    link.click()
    view = page.locator("[data-testid=document-view]")
    mark = view.locator("mark[data-testid=highlight]")
    mark.wait_for()
    assert mark.count() == 1
    assert mark.is_visible()
    return mark.text_content()


@pytest.mark.parametrize("question", [QUESTION, TWO_DOCUMENTS])
def test_each_citation_highlights_its_exact_quote(server, open_page, screenshots, question):
    expected = api_answer(server, question)
    # one quote per document: the two-document question cites both reports
    assert not expected["abstained"] and len(expected["citations"]) >= (2 if question == TWO_DOCUMENTS else 1), expected
    page = open_page(server.url + "/")
    answer = ask(page, question)
    assert " ".join(answer.locator("#answer-text").text_content().split()) == " ".join(expected["answer"].split())
    assert page_citations(page) == expected_citations(expected)
    quotes = {c["n"]: c["quote"] for c in expected["citations"]}
    sources = page.locator("[data-testid=citation]")
    for i in range(sources.count()):
        link = sources.nth(i)
        n = int(link.get_attribute("data-n"))
        assert highlight_after_click(page, link) == quotes[n]
        title = next(c["title"] for c in expected["citations"] if c["n"] == n)
        assert page.locator("[data-testid=document-view] .doc-title").text_content() == title
    markers = page.locator("[data-testid=marker]")
    assert markers.count() >= len(quotes)  # every [n] of the answer is a link too
    for i in range(markers.count()):
        marker = markers.nth(i)
        assert highlight_after_click(page, marker) == quotes[int(marker.get_attribute("data-n"))]
    if question == QUESTION:
        page.set_viewport_size({"width": 1280, "height": 1000})
        page.evaluate("window.scrollTo(0, 0)")
        page.locator("[data-testid=marker]").first.click()
        page.locator("mark[data-testid=highlight]").wait_for()
        page.screenshot(path=str(screenshots / "ask.png"))


def test_sources_show_title_and_document_facts(server, open_page):
    expected = api_answer(server, QUESTION)
    page = open_page(server.url + "/")
    ask(page, QUESTION)
    with server.client() as client:
        documents = {d["id"]: d for d in client.get("/documents").json()["documents"]}
    items = page.locator("#sources li")
    assert items.count() == len(expected["citations"])
    for i, citation in enumerate(expected["citations"]):
        item = items.nth(i)
        assert item.locator(".source-title").text_content() == citation["title"]
        assert item.locator("blockquote").text_content() == citation["quote"]
        metadata = documents[citation["document_id"]]["metadata"]
        facts = [metadata["jurisdiction"], metadata["doc_type"], citation["status"], metadata["date"]]
        assert item.locator(".facts").text_content() == " · ".join(f for f in facts if f)


def test_section_page_status_and_date_of_a_paged_source(server, open_page):
    pdf = make_pdf([
        ["Harbour Drone Regulation", "", "Article 1", "Scope", "This Regulation applies to inspection drones operated in harbour areas."],
        ["Article 2", "Registration",
         "1. Every operator of a harbour inspection drone shall register the drone with the port authority before its first flight.",
         "2. The port authority shall keep the register public."],
    ])
    metadata = {"jurisdiction": "harbourland", "doc_type": "regulation", "status": "in force", "date": "2025-01-01"}
    question = "Who must register a harbour inspection drone?"
    with server.client() as client:
        stored = client.post("/documents", files={"file": ("harbour-drone-regulation.pdf", pdf)},
                             data={"metadata": json.dumps(metadata)})
        assert stored.status_code == 201, stored.text
        document_id = stored.json()["document"]["id"]
        try:
            expected = api_answer(server, question)
            first = expected["citations"][0]
            assert (first["document_id"], first["section"], first["page"]) == (document_id, "Article 2", 2), first
            page = open_page(server.url + "/")
            ask(page, question)
            facts = page.locator("#sources li").first.locator(".facts").text_content()
            assert facts == "Article 2 · page 2 · harbourland · regulation · in force · 2025-01-01"
            assert highlight_after_click(page, page.locator("[data-testid=citation]").first) == first["quote"]
            span = page.locator("[data-testid=document-view] #doc-span").text_content()
            assert span == f"Passage: Article 2 · page 2 · characters {first['start']}–{first['end']}"
        finally:
            client.delete(f"/documents/{document_id}")


def test_filters_are_filled_from_the_documents_and_sent(server, open_page):
    page = open_page(server.url + "/")
    with server.client() as client:
        documents = client.get("/documents").json()["documents"]
    page.locator("#f-document option").nth(len(documents)).wait_for(state="attached")
    values = page.locator("#f-document option").evaluate_all("options => options.map(o => o.value)")
    assert sorted(values) == sorted(["", *(d["id"] for d in documents)])
    jurisdictions = page.locator("#f-jurisdiction option").evaluate_all("options => options.map(o => o.value)")
    assert sorted(jurisdictions) == sorted(["", *{d["metadata"]["jurisdiction"] for d in documents}])
    assert page.locator("#f-in-force").count() == 1  # offered: the server filters by document status
    assert page.locator("#f-mode").count() == 0  # not offered: no language model configured

    waic = next(d for d in documents if "waic" in d["id"])
    page.locator("#f-document").select_option(waic["id"])
    ask(page, QUESTION)
    cited = {c["document_id"] for c in page_citations(page)}
    assert cited == {waic["id"]}
    expected = api_answer(server, QUESTION, filters={"document_ids": [waic["id"]]})
    assert page_citations(page) == expected_citations(expected)


def test_keyboard_only(server, open_page):
    expected = api_answer(server, QUESTION)
    page = open_page(server.url + "/")
    page.keyboard.press("Tab")  # the skip link
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.locator("[name=question]").focus()
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    page.locator("[data-testid=answer][data-state=done]").wait_for()
    page.locator("[data-testid=citation]").first.focus()
    page.keyboard.press("Enter")
    page.locator("mark[data-testid=highlight]").wait_for()
    assert page.locator("mark[data-testid=highlight]").text_content() == expected["citations"][0]["quote"]


def test_errors_are_shown_in_the_page(server, open_page):
    page = open_page(server.url + "/")
    too_long = "Why? " * 300
    with server.client() as client:
        message = client.post("/ask", json={"question": too_long, "stream": True}).json()["error"]["message"]
    page.locator("[name=question]").fill(too_long)
    page.locator("form[data-testid=ask-form] button[type=submit]").click()
    page.locator("[data-testid=answer][data-state=error]").wait_for()
    assert page.locator("#ask-error").text_content() == message


def test_abstention_reads_as_such(server, open_page):
    question = "What penalties does the EU AI Act set for jaywalking?"
    expected = api_answer(server, question)
    assert expected["abstained"]
    page = open_page(server.url + "/")
    answer = ask(page, question)
    assert answer.locator("#answer-text").text_content() == expected["answer"]
    assert page.locator("[data-testid=citation]").count() == 0


def test_the_page_works_while_the_document_list_fails(server, open_page):
    """Loading the filter choices never blocks asking; its failure is told in the page."""
    def fail(route: Any) -> None:
        route.fulfill(status=503, content_type="application/json",
                      body='{"error": {"code": "not_ready", "message": "the service is starting; retry shortly"}}')

    page = open_page("about:blank")
    page.route("**/documents?*", fail)
    page.goto(server.url + "/")
    error = page.locator("#filters-error")
    error.wait_for()
    assert error.text_content() == "The filter choices could not be loaded: the service is starting; retry shortly"
    ask(page, TWO_DOCUMENTS)
    assert page.locator("[data-testid=citation]").count() >= 2


def test_direct_answer_line_leads_the_answer_and_opens_its_quote(server, open_page, screenshots):
    question = "How many days does the WAIC event last?"
    expected = api_answer(server, question)
    direct = expected["direct_answer"]
    assert direct is not None and direct["text"] == "three", expected
    assert direct["citation"] in expected["citations"]
    assert direct["text"] in direct["citation"]["quote"]
    page = open_page(server.url + "/")
    answer = ask(page, question)
    line = answer.locator("[data-testid=direct-answer]")
    assert line.is_visible()
    assert line.locator("[data-testid=direct-value]").text_content() == "three"
    # the line stands above the quoted answer, and its marker opens the quote that states the value
    assert line.bounding_box()["y"] < answer.locator("#answer-text").bounding_box()["y"]
    marker = line.locator("[data-testid=marker]")
    assert int(marker.get_attribute("data-n")) == direct["citation"]["n"]
    assert highlight_after_click(page, marker) == direct["citation"]["quote"]
    page.screenshot(path=str(screenshots / "ask-direct-answer.png"))
    # a question that asks for no single value hides the line, also after one that showed it
    assert api_answer(server, QUESTION)["direct_answer"] is None
    ask(page, QUESTION)
    assert not page.locator("[data-testid=direct-answer]").is_visible()
