"""Questions asking to name a number of things, and sentences that name that many."""

from __future__ import annotations

import pytest

from rag.answering.lists import asked_items, enumerates


@pytest.mark.parametrize(
    "question, count",
    [
        ("What are the five principles in the UK's approach to AI regulation?", 5),
        ("Which four ethical principles do the 2019 guidelines set out?", 4),
        ("Name the 3 pillars of the AI Action Plan", 3),
        ("list the seven key requirements for trustworthy AI", 7),
        ("How many principles does the white paper set out?", None),  # a number is asked, not a list
        ("Which agencies enforce the act?", None),
    ],
)
def test_the_number_of_items_asked_for(question, count):
    assert asked_items(question) == count


@pytest.mark.parametrize(
    "text, count, expected",
    [
        ("These are the principles of: (i) Respect for human autonomy (ii) Prevention of harm (iii) Fairness "
         "(iv) Explicability", 4, True),
        ("the Core is composed of four functions: GOVERN, MAP, MEASURE, and MANAGE.", 4, True),
        ("three principles that must be fundamental to the future of AI – safety, security, and trust.", 3, True),
        ("These are:\n • Safety, security and robustness.\n • Appropriate transparency and explainability.\n"
         " • Fairness.\n • Accountability and governance.\n • Contestability and redress.", 5, True),
        ("reflected by four ethical principles that should be adhered to in order to ensure ethical AI.", 4, False),
        ("the Core is composed of four functions: GOVERN, MAP, MEASURE, and MANAGE.", 3, False),
    ],
)
def test_a_sentence_names_that_many_items(text, count, expected):
    assert enumerates(text, count) is expected


@pytest.mark.corpus
def test_the_answer_names_the_principles_rather_than_counting_them(corpus_pipeline):
    answer = corpus_pipeline.ask("Which four ethical principles do the 2019 Ethics Guidelines for Trustworthy AI set out?")
    first = answer.citations[0]
    assert "Respect for human autonomy" in first.quote and "Explicability" in first.quote, first.quote
    assert corpus_pipeline.get_text(first.document_id)[first.start:first.end] == first.quote


def test_everyday_words_are_searched_as_the_law_words_them():
    from rag.terms import lexical_terms

    assert {"prohibited", "prohibition"} <= set(lexical_terms("Which AI practices does the AI Act ban?"))
    assert "prohibited" in lexical_terms("Is AI that predicts crime outlawed in the EU?")
    assert "prohibited" not in lexical_terms("Which AI practices does the AI Act regulate?")


@pytest.mark.corpus
def test_a_ban_question_quotes_the_prohibition(corpus_pipeline):
    answer = corpus_pipeline.ask("Which AI practices does the AI Act ban?")
    first = answer.citations[0]
    assert "The following AI practices shall be prohibited" in first.quote, [c.quote[:80] for c in answer.citations]


@pytest.mark.corpus
def test_what_a_thing_is_is_answered_by_the_list_it_introduces(corpus_pipeline):
    answer = corpus_pipeline.ask("What is the GOVERN function of the NIST AI RMF?")
    first = answer.citations[0]
    assert first.quote.startswith("The GOVERN function:") and "cultivates and implements a culture" in first.quote, first.quote
    assert corpus_pipeline.get_text(first.document_id)[first.start:first.end] == first.quote
