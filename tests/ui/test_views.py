"""Every view: the evaluation report, phone width, labelled controls; the routes behind them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import pytest

from api.ui import reports

pytestmark = pytest.mark.slow  # a real browser against a real server

QUESTION = "How does China want to cooperate on AI regulation?"
PHONE = {"width": 390, "height": 844}

# Every form control has a name a screen reader can read: a <label>, aria-label or aria-labelledby.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(c => c.type !== 'hidden' && !c.labels.length && !c.getAttribute('aria-label') && !c.getAttribute('aria-labelledby'))
  .map(c => c.id || c.name || c.outerHTML)"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"


def citation_url(server: Any) -> str:
    with server.client() as client:
        citation = client.post("/ask", json={"question": QUESTION}).json()["citations"][0]
    return f"{server.url}/ui/documents/{quote(citation['document_id'])}#{citation['start']}-{citation['end']}"


def test_evaluation_report_and_its_charts(server, open_page, screenshots):
    latest = reports.datasets()
    if not latest:
        pytest.skip("no evaluation report under eval/reports/ to show")
    markdown = (reports.REPORTS_DIR / latest[0] / reports.REPORT_FILE).read_text(encoding="utf-8")
    page = open_page(f"{server.url}/ui/eval")
    report = page.locator("[data-testid=eval-report]")
    report.wait_for()
    header = report.locator("table").first.locator("thead th").all_text_contents()
    first_table = next(line for line in markdown.splitlines() if line.startswith("| metric"))
    assert header == [cell.strip() for cell in first_table.strip("|").split("|")]
    charts = re.findall(r"!\[[^\]]*\]\(([^)]+\.png)\)", markdown)
    assert charts and report.locator("img").count() == len(charts)
    for i in range(len(charts)):
        image = report.locator("img").nth(i)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    page.screenshot(path=str(screenshots / "eval.png"), full_page=True)


def test_every_view_reads_at_phone_width_with_labelled_controls(server, open_page, screenshots):
    views = {
        "phone-library": f"{server.url}/ui/documents",
        "phone-document": citation_url(server),
        "phone-eval": f"{server.url}/ui/eval",
    }
    page = open_page(f"{server.url}/", viewport=PHONE)
    page.locator("[name=question]").fill(QUESTION)
    page.locator("form[data-testid=ask-form] button[type=submit]").click()
    page.locator("[data-testid=answer][data-state=done]").wait_for()
    page.locator("[data-testid=citation]").first.click()
    page.locator("mark[data-testid=highlight]").wait_for()
    assert page.locator("mark[data-testid=highlight]").is_visible()
    assert page.evaluate(OVERFLOW) <= 0
    assert page.evaluate(UNLABELLED) == []
    page.screenshot(path=str(screenshots / "phone-ask.png"), full_page=True)
    for name, url in views.items():
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.evaluate(OVERFLOW) <= 0, name
        assert page.evaluate(UNLABELLED) == [], name
        page.screenshot(path=str(screenshots / f"{name}.png"), full_page=True)


def test_page_routes(server):
    with server.client() as client:
        for path in ("/", "/ui/documents", "/ui/documents/anything.txt", "/ui/eval"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-type"].startswith("text/html"), path
        config = client.get("/ui/config").json()
        assert config["writes_need_key"] is False and config["answer_modes"] == []
        assert {"jurisdiction", "doc_type", "document_ids"} <= set(config["filters"])
        assert client.get("/ui/static/app.js").headers["content-type"].startswith("text/javascript")
        assert client.get("/ui/static/app.css").headers["content-type"].startswith("text/css")
        for path in ("/ui/static/..%2Fui%2Froutes.py", "/ui/static/index.html", "/ui/eval/corpus/..%2F..%2Fthresholds.json",
                     "/ui/eval/corpus/results.json", "/ui/eval/..%2F..%2Fpyproject.toml/x.png"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert set(response.json()) == {"error"}, path
        missing = client.get("/ui/eval", params={"dataset": "no-such-set"})
        assert missing.status_code == 404 and "no-such-set" in missing.text
        paths = client.get("/openapi.json").json()["paths"]
        assert "/" not in paths and not [p for p in paths if p.startswith("/ui")]
