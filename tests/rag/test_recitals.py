"""Recitals and the provisions they explain, with the real model, real Chroma and real SQLite:
a question in plain words matches a recital, and the article that holds the rule comes first."""

from __future__ import annotations

import pytest

from rag.pipeline import Pipeline
from tests.helpers import pipeline_over

# A small regulation: each recital explains one article in everyday words; the articles say
# it in legal ones ("whistleblowers" only in the recital, "persons reporting breaches" in Article 3).
REGULATION = """REGULATION ON HARBOUR DRONES

Whereas:

(1)
Whistleblowers who tell the authorities about harbour drone operators breaking these rules should be protected from being fired or punished for speaking up.

(2)
Drone operators should carry insurance so that people whose boats or property a drone damages are paid for the harm.

(3)
Noisy drones disturb sleep, so flights over homes at night should not be allowed.

HAVE ADOPTED THIS REGULATION:

Article 1
Subject matter
This Regulation lays down rules for the operation of unmanned aircraft within port areas.

Article 2
Liability cover
Operators shall hold third-party liability cover of at least EUR 1 000 000 for damage caused to vessels and property by an unmanned aircraft.

Article 3
Persons reporting breaches
Persons reporting breaches of this Regulation to a competent authority shall enjoy protection
against dismissal, demotion and any other retaliation by their employer.

Article 4
Night operations
Operation of unmanned aircraft above residential premises between 22:00 and 06:00 is prohibited.
"""


@pytest.fixture(scope="module")
def regulation(tmp_path_factory):
    pipeline = pipeline_over(tmp_path_factory, "regulation", {"harbour-drones.txt": REGULATION})
    yield pipeline
    pipeline.close()


@pytest.fixture
def reg(regulation):
    defaults = regulation.retriever.settings
    yield regulation
    regulation.retriever.settings = defaults


def _chunks(pipeline: Pipeline) -> dict:
    ids = pipeline.store.chunk_ids_of("harbour-drones.txt")
    return pipeline.store.get_chunks(ids)


def test_each_recital_is_linked_to_the_article_it_explains(reg):
    chunks = _chunks(reg)
    recitals = {c.section: c.id for c in chunks.values() if c.kind == "recital"}
    assert set(recitals) == {"Recital 1", "Recital 2", "Recital 3"}
    links = reg.retriever.recitals.explained(list(recitals.values()))
    explained = {section: chunks[links[chunk_id][0]].section for section, chunk_id in recitals.items()}
    assert explained == {"Recital 1": "Article 3", "Recital 2": "Article 2", "Recital 3": "Article 4"}
    assert reg.retriever.recitals.explained([c.id for c in chunks.values() if c.kind == "operative"]) == {}


def test_a_question_in_plain_words_gets_the_article_before_its_recital(reg):
    passages = reg.search("Are whistleblowers protected?", top_k=3)
    assert passages[0].section == "Article 3", [p.section for p in passages]
    assert "Recital 1" in [p.section for p in passages], "the recital is still shown, after its article"
    text = reg.get_text("harbour-drones.txt")
    assert all(text[p.start:p.end] == p.text for p in passages)


def test_without_links_the_recital_that_matches_the_words_comes_first(reg):
    reg.retriever.settings = reg.retriever.settings.model_copy(update={"recital_links": 0.0, "recital_damping": 1.0})
    passages = reg.search("Are whistleblowers protected?", top_k=3)
    assert passages[0].section == "Recital 1", [p.section for p in passages]


def test_a_question_about_the_reasons_keeps_the_recital_first(reg):
    passages = reg.search("Why are whistleblowers protected, according to the recitals?", top_k=3)
    assert passages[0].section == "Recital 1", [p.section for p in passages]


def test_the_answer_reads_the_article_first(reg):
    answer = reg.ask("Are whistleblowers protected from being fired?")
    assert not answer.abstained
    assert answer.passages[0].section == "Article 3", [p.section for p in answer.passages]
    text = reg.get_text("harbour-drones.txt")
    assert answer.citations and all(text[c.start:c.end] == c.quote for c in answer.citations)


@pytest.mark.corpus
@pytest.mark.parametrize("question", [
    "Are whistleblowers protected under the AI Act?",
    "Whistleblowers: compare the EU AI Act with California's SB 53.",
])
def test_the_ai_acts_article_comes_before_the_recital_that_explains_it(corpus_pipeline, question):
    sections = [p.section for p in corpus_pipeline.search(question, top_k=5) if p.document_id.startswith("eu__eu-ai-act")]
    assert "Chapter IX > Section 4 > Article 87" in sections, sections
    if "Recital 172" in sections:
        assert sections.index("Chapter IX > Section 4 > Article 87") < sections.index("Recital 172")
