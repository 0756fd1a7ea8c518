"""Answers to questions that cite a provision: the provision is quoted, found by its
section path, with the real model, real Chroma and real SQLite."""

from __future__ import annotations

import pytest

from rag.answering.provision import Cited, asks_only_for
from rag.pipeline import Pipeline
from tests.helpers import pipeline_over

CODE = """HARBOUR DRONES REGULATION

Article 1
Subject matter
This Regulation lays down rules for the operation of unmanned aircraft within port areas.

Article 2
Liability cover
1. Operators shall hold third-party liability cover of at least EUR 1 000 000 for damage caused by an unmanned aircraft.
2. The harbour master shall check the certificate of cover before the first flight of each season.
3. Operators whose cover lapses shall ground every unmanned aircraft until the cover is renewed.

Article 3
Night operations
Operation of unmanned aircraft above residential premises between 22:00 and 06:00 is prohibited.
The harbour master may allow night flights for search and rescue.
"""
DOC = "harbour-drones.txt"


@pytest.fixture(scope="module")
def code(tmp_path_factory):
    pipeline = pipeline_over(tmp_path_factory, "provision", {DOC: CODE})
    yield pipeline
    pipeline.close()


def _check(pipeline: Pipeline, answer) -> None:
    text = pipeline.get_text(DOC)
    assert answer.citations and all(text[c.start:c.end] == c.quote for c in answer.citations)


@pytest.mark.parametrize("question", ["Article 3 of the harbour drones regulation", "What does Art. 3 say?", "art 3"])
def test_a_bare_reference_quotes_the_provision_from_its_start(code, question):
    answer = code.ask(question)
    assert not answer.abstained, answer.answer
    assert answer.citations[0].section == "Article 3", [c.section for c in answer.citations]
    assert "Operation of unmanned aircraft above residential premises" in answer.citations[0].quote
    _check(code, answer)


def test_a_cited_paragraph_is_quoted_rather_than_its_article(code):
    answer = code.ask("Art. 2(3)")
    assert not answer.abstained, answer.answer
    assert "3. Operators whose cover lapses" in answer.citations[0].quote, answer.citations[0].quote
    assert "2. The harbour master" not in answer.citations[0].quote
    _check(code, answer)


def test_a_question_about_a_provision_is_answered_from_it(code):
    answer = code.ask("Who checks the certificate under Article 2?")
    assert answer.citations[0].section.startswith("Article 2"), [c.section for c in answer.citations]
    assert "harbour master shall check the certificate" in answer.citations[0].quote
    _check(code, answer)


def test_what_asks_nothing_beyond_the_reference():
    cited = [Cited("eu", "Art. 99(3)", "3", ())]
    assert asks_only_for("Art. 99(3) AI Act", ["AI Act"], cited)
    assert asks_only_for("What does Art. 99(3) of the AI Act say?", ["AI Act"], cited)
    assert asks_only_for("What does Art. 99(3) require?", [], cited)
    assert not asks_only_for("How much can a deployer be fined under Art. 99(3)?", [], cited)
    assert not asks_only_for("Does Art. 99(3) of the AI Act apply to SMEs?", ["AI Act"], cited)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "question, section",
    [
        ("Art. 99(3) AI Act", "Chapter XII > Article 99 > paragraph 3"),
        ("What does Article 5 of the AI Act say?", "Chapter II > Article 5 > paragraph 1"),
        ("What does Article 9 of the AI Act require?", "Chapter III > Section 2 > Article 9 > paragraph 1"),
        ("Colorado 6-1-1703", "PART 17 ARTIFICIAL INTELLIGENCE > Section 6-1-1703"),
        ("What does 22757.13 of California's SB 53 provide?", "Chapter 25 > Section 22757.13"),
    ],
)
def test_the_corpus_provision_a_reference_names_is_quoted(corpus_pipeline, question, section):
    answer = corpus_pipeline.ask(question)
    assert not answer.abstained, answer.answer
    assert answer.citations[0].section == section, [c.section for c in answer.citations]
    for c in answer.citations:
        assert corpus_pipeline.get_text(c.document_id)[c.start:c.end] == c.quote


@pytest.mark.corpus
def test_a_question_citing_one_provision_about_another_is_answered_from_the_other(corpus_pipeline):
    answer = corpus_pipeline.ask("How much can a deployer be fined for ignoring its Article 26 obligations?")
    assert "Article 99" in (answer.citations[0].section or ""), [c.section for c in answer.citations]
