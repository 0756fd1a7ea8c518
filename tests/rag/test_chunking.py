"""Chunks follow the document's structure and are exact spans of its text."""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document, split_sentences
from rag.config import ChunkingSettings
from rag.loading import discover, load_bytes, load_file
from rag.structure import find_headings
from tests.helpers import BUILTIN_CORPUS, shared_corpus_path


def _corpus_files():
    roots = [BUILTIN_CORPUS]
    shared = shared_corpus_path()
    if (shared / "catalog.json").is_file():
        roots.append(shared)
    return [pair for root in roots for pair in discover([root])]


def test_shared_corpus_is_part_of_the_span_check(shared_corpus):
    assert len(discover([shared_corpus])) >= 26


@pytest.mark.parametrize(("path", "root"), _corpus_files(), ids=lambda v: getattr(v, "name", ""))
def test_every_chunk_and_sentence_is_an_exact_span(path, root):
    doc = load_file(path, root)
    chunks = chunk_document(doc)
    assert chunks, "a document with text yields chunks"
    previous_end = 0
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
        assert chunk.start >= previous_end, "chunks do not overlap"
        previous_end = chunk.end
        assert chunk.sentences[0].start == chunk.start and chunk.sentences[-1].end == chunk.end
        for sentence in chunk.sentences:
            assert chunk.start <= sentence.start < sentence.end <= chunk.end
            assert not doc.text[sentence.start].isspace() and not doc.text[sentence.end - 1].isspace()
    assert len(set(c.id for c in chunks)) == len(chunks)


def _doc(text: str, name: str = "law.txt"):
    return load_bytes(text.encode(), name=name)


LAW = """REGULATION ON THINGS

Whereas:

(1)

The first recital explains the purpose of the rules in a long sentence that goes on for a while.

(2)

The second recital gives more background on why the rules are needed.

CHAPTER I

GENERAL PROVISIONS

Article 1

Subject matter

1.   This Regulation lays down rules for providers. Providers shall keep records.

2.   Deployers shall inform natural persons. They shall do so in good time.

Article 2

Scope

1.   This Regulation applies to providers placing systems on the market.

ANNEX I

List of things

Item one of the annex is described here in full detail for testing.
"""


def test_chunks_never_cross_an_article_and_carry_section_paths():
    doc = _doc(LAW)
    chunks = chunk_document(doc)
    sections = [c.section for c in chunks]
    assert "Recital 1" in sections and "Recital 2" in sections
    article1 = [c for c in chunks if c.section and "Article 1" in c.section]
    article2 = [c for c in chunks if c.section and "Article 2" in c.section]
    assert article1 and article2
    assert all("Article 2" not in c.text for c in article1)
    assert article1[0].section == "Chapter I > Article 1"
    assert article1[0].kind == "operative"
    assert any(c.section == "Annex I" and c.kind == "annex" for c in chunks)
    assert {c.kind for c in chunks if c.section and c.section.startswith("Recital")} == {"recital"}
    # the bare chapter title is carried into the first article's chunk instead of standing alone
    assert article1[0].text.startswith("CHAPTER I")
    # sentences know their numbered paragraph
    paragraph_2 = [s for c in article1 for s in c.sentences if doc.text[s.start:s.end].startswith("2.")]
    assert paragraph_2 and paragraph_2[0].section == "Chapter I > Article 1 > paragraph 2"


def test_long_sections_split_at_sentences_under_the_limit():
    body = " ".join(f"Sentence number {i} says something about obligations of providers." for i in range(80))
    doc = _doc("# Title\n\n" + body, name="long.md")
    chunks = chunk_document(doc, ChunkingSettings(max_chars=500))
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(chunk.text) <= 500 * 1.25
        assert chunk.text.rstrip().endswith(".")  # never cut inside a sentence


def test_markdown_heading_trail():
    doc = _doc("# Part A\n\nIntro text that is long enough to stand on its own as a region of text here.\n\n## Rules\n\n"
               "The rules say providers must label content clearly and visibly for users.", name="x.md")
    sections = [c.section for c in chunk_document(doc)]
    assert "Part A > Rules" in sections


def test_sentence_splitter_respects_abbreviations():
    text = "See 42 U.S.C. 1983 and Sec. 4 of the order. Dr. Smith agreed, e.g. on labels. The end of it all is here."
    spans = [text[s.start:s.end] for s in split_sentences(text)]
    assert spans == [
        "See 42 U.S.C. 1983 and Sec. 4 of the order.",
        "Dr. Smith agreed, e.g. on labels.",
        "The end of it all is here.",
    ]


def test_short_fragments_join_a_neighbour():
    text = "(a)\n\nharmonised rules for the placing on the market of systems;\n\nEnd."
    spans = [text[s.start:s.end] for s in split_sentences(text)]
    assert spans == ["(a)\n\nharmonised rules for the placing on the market of systems;\n\nEnd."]


def test_executive_order_sections_with_non_breaking_spaces():
    text = "\u00a0\u00a0Section 1.\u00a0 Purpose.\u00a0 Text of the purpose.\n\n\u00a0\u00a0Sec. 2.\u00a0 Policy.\u00a0 Text."
    labels = [h.label for h in find_headings(text)]
    assert labels == ["Section 1", "Section 2"]


def test_a_table_of_contents_gives_no_headings():
    text = (
        "Contents\n"
        "1. Ministerial foreword 2\n"
        "5.1. Delivering a proportionate, context-based approach to regulate the use of AI 13\n"
        "5.2. Examining the case for new responsibilities for developers of highly capable \n"
        "general-purpose AI systems 25\n"
        "I. Chapter I: Foundations of Trustworthy AI 9\n"
        "Ministerial foreword\n"
        "The UK is a world leader in AI and intends to stay one.\n"
        "5.1. Delivering a proportionate, context-based approach to regulate the use of AI\n"
        "Regulators will apply the principles within their remits.\n"
        "Article 12\n"
        "Providers shall keep logs.\n"
    )
    labels = [(h.label, text[h.start:h.start + 4]) for h in find_headings(text) if h.kind != "paragraph"]
    assert labels == [("Section 5.1", "5.1."), ("Article 12", "Arti")], labels
    body = text.index("5.1. Delivering", text.index("Ministerial foreword\n"))
    assert [h.start for h in find_headings(text) if h.label == "Section 5.1"] == [body]
