"""Which dated part of an instrument a timing question asks about."""

from __future__ import annotations

import pytest

from rag.scopes import asked_part_first
from rag.status import APPLIES_FROM, Application, DocumentStatus, Evidence

TITLES = {"Chapter I": "GENERAL PROVISIONS", "Chapter II": "PROHIBITED AI PRACTICES",
          "Chapter V": "GENERAL-PURPOSE AI MODELS", "Chapter XII": "PENALTIES", "Article 6": "Classification rules"}


def _applies(date: str, scope: str | None) -> Application:
    return Application(date, scope, APPLIES_FROM, Evidence("act", "Artificial Intelligence Act", 0, 1, "x"))


STATUS = DocumentStatus(
    "act", "Artificial Intelligence Act", None, None,
    applications=(
        _applies("2026-08-02", None),
        _applies("2025-02-02", "Chapters I and II"),
        _applies("2025-08-02", "Chapter III Section 4, Chapter V, Chapter VII and Chapter XII and Article 78"),
        _applies("2027-08-02", "Article 6(1) and the corresponding obligations in this Regulation"),
    ),
)


@pytest.mark.parametrize(
    "question, first",
    [
        ("When does the Act apply?", "2026-08-02"),  # the instrument as a whole
        ("When do the obligations for general-purpose AI models apply?", "2025-08-02"),  # Chapter V's title
        ("When does the ban on social scoring apply?", "2025-02-02"),  # "ban": Chapter II's prohibited practices
        ("When do the penalties apply?", "2025-08-02"),
        ("From when do the classification rules of Article 6(1) apply?", "2027-08-02"),
    ],
)
def test_the_part_asked_about_comes_first(question, first):
    ordered = asked_part_first(question, STATUS, TITLES)
    assert ordered[0].date == first
    assert sorted(a.date for a in ordered) == sorted(a.date for a in STATUS.applications)


@pytest.mark.corpus
@pytest.mark.parametrize(
    "question, value",
    [
        ("When do the AI Act's obligations for general-purpose AI models apply?", "2 August 2025"),
        ("When does the EU AI Act's ban on social scoring apply?", "2 February 2025"),
        ("When does the AI Act apply?", "2 August 2026"),
    ],
)
def test_the_direct_answer_is_the_date_of_the_part_asked_about(corpus_pipeline, question, value):
    answer = corpus_pipeline.ask(question)
    assert answer.direct_answer is not None and answer.direct_answer.text == value, answer.answer
    c = answer.direct_answer.citation
    assert corpus_pipeline.get_text(c.document_id)[c.start:c.end] == c.quote


@pytest.mark.corpus
def test_a_revoked_orders_own_date_is_not_given_as_its_revocation_date(corpus_pipeline):
    answer = corpus_pipeline.ask("When was Executive Order 14110 revoked?")
    assert "revoked on 2025-01-20" in answer.answer
    assert answer.direct_answer is None  # the quoted revoking sentence names the order by its own date
