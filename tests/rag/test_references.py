"""Definitions and cross-references indexed with their chunks (never in the stored text)."""

from __future__ import annotations

import pytest

from rag.chunking import chunk_document, embedding_text
from rag.loading import load_text
from rag.structure import defined_term, find_headings, heading_titles, references

CHARTER = """HARBOUR CHARTER

CHAPTER I

GENERAL PROVISIONS

Article 1

Definitions

For the purposes of this Charter, the following definitions apply:

(1)

‘tidal robot’ means an autonomous machine that works the harbour floor between two tides;

(2)

‘berth keeper’ means a person who assigns berths to vessels and robots;

CHAPTER II

FORBIDDEN MANOEUVRES

Article 2

Forbidden manoeuvres

1.   No tidal robot shall cross the main channel at high water.

CHAPTER III

FINAL PROVISIONS

Article 3

Entry into application

Chapters I and II shall apply from 1 March 2031. Article 2 does not affect Chapter II of Regulation (XY) 12/2030.
"""


def test_titles_references_and_terms():
    titles = heading_titles(CHARTER, find_headings(CHARTER))
    assert titles["Chapter II"] == "FORBIDDEN MANOEUVRES" and titles["Article 2"] == "Forbidden manoeuvres"
    assert references("Chapters I and II shall apply; Article 2 too; Chapter II of Regulation (XY) 12/2030.", titles) == [
        "Chapter I GENERAL PROVISIONS", "Chapter II FORBIDDEN MANOEUVRES", "Article 2 Forbidden manoeuvres",
    ]
    assert references("Articles 1 to 3 apply.", titles, own={"Article 3"}) == ["Article 1 Definitions", "Article 2 Forbidden manoeuvres"]
    assert references("Article 9 and Annex IV apply.", titles) == []  # labels the document does not have
    # a roman numeral ends at its word: "Section 2, Chapter II" is two references, not "Section 2, C"
    assert references("Article 2, Chapter II and Chapter I apply.", titles) == [
        "Article 2 Forbidden manoeuvres", "Chapter II FORBIDDEN MANOEUVRES", "Chapter I GENERAL PROVISIONS"]


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("(60)\n\n‘deep fake’ means AI-generated or manipulated content", "deep fake"),
        ('- (6) "DEPLOYER" MEANS A PERSON DOING BUSINESS IN THIS STATE', "deployer"),
        ("(b)  The term “artificial intelligence” or “AI” has the meaning set forth", "artificial intelligence"),
        ("(c) (1) “Catastrophic risk” means a foreseeable and material risk", "Catastrophic risk"),
        ("The system means well.", None),
        ("Providers shall label ‘deep fakes’ as such.", None),
    ],
)
def test_defined_term(sentence, term):
    assert defined_term(sentence) == term


def test_each_definition_is_a_chunk_and_references_are_indexed_not_stored():
    document = load_text(CHARTER, title="Harbour charter")
    chunks = chunk_document(document)
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
    defining = {c.defines: c for c in chunks if c.defines}
    assert set(defining) == {"tidal robot", "berth keeper"}
    assert defining["tidal robot"].text.startswith("(1)") and "berth keeper" not in defining["tidal robot"].text
    assert "tidal robot" in embedding_text(document.title, defining["tidal robot"]).split("\n")[0]
    assert defining["berth keeper"].context == "definition of berth keeper"
    final = next(c for c in chunks if "1 March 2031" in c.text)
    assert final.refers_to == ("Chapter I GENERAL PROVISIONS", "Chapter II FORBIDDEN MANOEUVRES", "Article 2 Forbidden manoeuvres")
    assert "FORBIDDEN" not in final.text


@pytest.mark.slow
def test_a_question_in_the_words_of_a_title_finds_the_provision_that_cites_it_by_number(settings):
    from rag.pipeline import Pipeline

    with Pipeline(settings) as pipeline:
        _search_the_charter(pipeline)


def _search_the_charter(pipeline):
    pipeline.add_document(load_text(CHARTER, title="Harbour charter"))
    hits = pipeline.search("From when do the rules on forbidden manoeuvres apply?", top_k=3, mode="bm25")
    assert any("1 March 2031" in hit.text for hit in hits), [h.text[:80] for h in hits]
    top = pipeline.search("what is a berth keeper", top_k=1)[0]
    assert "‘berth keeper’ means" in top.text
    text = pipeline.get_text(top.document_id)
    assert text[top.start:top.end] == top.text and "FORBIDDEN MANOEUVRES" in text  # the stored text is the document's own


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize(
    ("question", "document", "starts"),
    [
        ("what is a deep fake", "eu__eu-ai-act-2024-1689.txt", "‘deep fake’ means"),
        ("who is a deployer under the AI Act", "eu__eu-ai-act-2024-1689.txt", "‘deployer’ means"),
        ("who is a deployer in Colorado", "us-states__colorado-ai-act-sb24-205.md", '"DEPLOYER" MEANS'),
        ("what is a frontier AI framework under SB 53", "us-states__california-sb53-transparency-frontier-ai-act-2025.txt",
         "“Frontier AI framework” means"),
    ],
)
def test_definition_questions_get_the_definition_first(corpus_pipeline, question, document, starts):
    top = corpus_pipeline.search(question, top_k=1)[0]
    assert top.document_id == document and starts in top.text, (top.document_id, top.text[:120])


@pytest.mark.corpus
@pytest.mark.slow
def test_prohibited_practices_find_when_chapter_ii_applies(corpus_pipeline):
    # a timing question about a named instrument shows the application article its answer quotes
    hits = corpus_pipeline.search("When do the AI Act's prohibited practices start to apply?", top_k=5)
    assert any("Chapters I and II shall apply from 2 February 2025" in hit.text for hit in hits), [h.text[:80] for h in hits]
