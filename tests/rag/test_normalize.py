"""Text normalization (rag.normalize): each step on small texts, the page map carried
through the edits, and over the whole shared corpus: clean stored text, exact citations."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from rag.loading import load_bytes, load_text, renormalize
from rag.normalize import normalize, normalize_text
from rag.types import PageSpan

PAGE_MARKER = re.compile(r"^(?:-{2,} ?Page \d+ ?-{2,}|\{\d+\}-{8,})\s*$", re.MULTILINE)
HTML_TAG = re.compile(r"</?(?:span|sup|sub|u|b|i|em|strong|figure|div|p|br|a)\b[^>]*>", re.IGNORECASE)


def _marked_pages() -> str:
    pages = []
    for n in range(1, 5):
        body = f"Page {n} body text about sluice gates ends with a full stop."
        if n == 2:
            body = "The inspector shall record every sluice gate open-\ning and the water level at the time of"
        if n == 3:
            body = "the opening, within one hour."
        pages.append(f"---- Page {n} ----\nHARBOUR RULES 2031 {n}\n{body}\nFolio {n}\n")
    return "\n".join(pages)


def test_page_markers_and_running_lines_leave_the_text_and_pages_stay_known():
    text = _marked_pages()
    result = normalize(text)
    assert "Page 1 ----" not in result.text and "HARBOUR RULES" not in result.text and "Folio" not in result.text
    assert [p.page for p in result.pages] == [1, 2, 3, 4]
    # a page that ends mid-sentence joins the next with a line break: one sentence, hyphenation joined
    assert "gate opening and the water level at the time of\nthe opening, within one hour." in result.text
    second = result.pages[1]
    assert result.text[second.start:second.end].startswith("The inspector shall record")
    assert result.text[result.pages[2].start:].startswith("the opening, within one hour.")


def test_html_and_markdown_remnants_go_and_their_words_stay():
    raw = (
        '# **Section 4.** <span style="text-decoration: underline">Duties</span>\n\n'
        "Compute above 10<sup>26</sup> operations &amp; more.<br>Next line.\n\n"
        "![](_page_0_Picture_0.jpeg)\n\n"
        "See the [**fact sheet**](https://example.org/x) and *italic words* here.\n"
        "<figure>\n</figure>\n\nEnd."
    )
    text = normalize_text(raw)
    assert text.startswith("# Section 4. Duties\n\n")
    assert "10^26 operations & more.\nNext line." in text
    assert "See the fact sheet and italic words here." in text
    assert "<" not in text and "*" not in text and "](" not in text and "\n\n\n" not in text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("the results are illus- trated below", "the results are illustrated below"),
        ("a recommenda-\ntion follows", "a recommendation follows"),
        ("to combat non-\ndiscrimination failures", "to combat non-discrimination failures"),
        ("long- or short-term risks", "long- or short-term risks"),  # a suspended hyphen stays
        ("pre- and post-deployment", "pre- and post-deployment"),
        ("world- class centres and world-class labs", "world-class centres and world-class labs"),  # the document's own spelling
        ("high-risk systems", "high-risk systems"),  # a compound without a break is untouched
        ("Human-\nAI teaming", "Human-\nAI teaming"),  # not lowercase on both sides
        ("user feedback - before release", "user feedback - before release"),  # a dash, not a hyphen
    ],
)
def test_hyphenation(raw, expected):
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("the GOVERN ,MAP ,MEASURE , and MANAGE functions", "the GOVERN, MAP, MEASURE, and MANAGE functions"),
        ("Information Technology , the Ministry", "Information Technology, the Ministry"),
        ("the U .S. government", "the U.S. government"),
        ("where chips are diverted . This", "where chips are diverted. This"),
        ("Contents .......... 4", "Contents .......... 4"),
        ("a ratio of 1,000 : 1", "a ratio of 1,000: 1"),
    ],
)
def test_spaces_before_punctuation(raw, expected):
    assert normalize_text(raw) == expected


def test_a_given_page_map_follows_the_edits():
    text = "First page with illus- trated words.\n\nSecond page , here."
    pages = [PageSpan(1, 0, 36), PageSpan(2, 38, len(text))]
    result = normalize(text, pages=pages, markers=False, markup=False)
    assert result.text == "First page with illustrated words.\n\nSecond page, here."
    assert [result.text[p.start:p.end] for p in result.pages] == ["First page with illustrated words.", "Second page, here."]


def test_normalized_text_is_a_fixed_point():
    once = normalize(_marked_pages() + "\n\nGOVERN ,MAP ,and <u>MANAGE</u> **now**.")
    twice = normalize(once.text, pages=once.pages)
    assert twice == once


def test_loaders_normalize_every_format():
    md = load_bytes(_marked_pages().encode(), name="rules.md")
    assert not PAGE_MARKER.search(md.text) and [p.page for p in md.pages] == [1, 2, 3, 4]
    typed = load_text("Duties <u>apply</u> , always.", title="Typed rules")
    assert typed.text == "Duties apply, always."
    assert renormalize(md) is md  # stored text under the current rules needs nothing more


# ---------------------------------------------------------------- the whole shared corpus

QUESTIONS = [
    "What are the four core functions of NIST's AI Risk Management Framework?",
    "What amount of training compute triggered reporting requirements in EO 14110?",
    "Which characteristics make an AI system trustworthy according to the NIST AI RMF?",
    "What is algorithmic discrimination under Colorado's AI Act?",
    "Which AI practices does the EU AI Act prohibit?",
    "What did the White House voluntary commitments ask companies to do about watermarking?",
    "What does Executive Order 14179 revoke?",
    "What sites does the AI infrastructure order direct agencies to identify?",
    "What must a large frontier developer publish under California's law?",
    "What do China's interim measures require of generative AI service providers?",
    "What does the UN General Assembly resolution encourage member states to do?",
    "How does the G7 code of conduct address red-teaming?",
]


@pytest.mark.corpus
@pytest.mark.slow
def test_the_stored_corpus_text_is_clean_and_citations_are_exact(corpus_pipeline):
    from api.app import create_app

    total, documents = corpus_pipeline.list_documents(limit=500)
    assert total >= 26
    for info in documents:
        text = corpus_pipeline.get_text(info.id)
        assert not PAGE_MARKER.search(text), info.id
        assert not HTML_TAG.search(text), (info.id, HTML_TAG.search(text))
        assert "**" not in text, info.id
        assert not re.search(r"\w [,;](?=\s)", text), (info.id, re.search(r".{30}\w [,;](?=\s).{10}", text))
    with TestClient(create_app(corpus_pipeline.settings, pipeline=corpus_pipeline)) as client:
        cited = 0
        for question in QUESTIONS:
            answer = corpus_pipeline.ask(question)
            for citation in answer.citations:
                served = client.get(f"/documents/{citation.document_id}/text")
                assert served.status_code == 200
                assert served.text[citation.start:citation.end] == citation.quote, citation
                assert not PAGE_MARKER.search(citation.quote) and not HTML_TAG.search(citation.quote)
                cited += 1
        assert cited >= len(QUESTIONS)
