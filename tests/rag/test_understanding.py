"""Question understanding and the refusal checks, on the shared corpus's real titles and texts (no model)."""

from __future__ import annotations

import pytest

from rag.abstention import (
    NO_SUCH_PROVISION,
    NOT_IN_CORPUS,
    VALUE_NOT_FOUND,
    asked_value,
    missing_instrument,
    missing_provision,
    missing_value,
)
from rag.loading import discover, load_file
from rag.understanding import Lexicon, provision_inventory, provisions

AI_ACT = "eu__eu-ai-act-2024-1689.txt"


@pytest.fixture(scope="module")
def documents(shared_corpus):
    return [load_file(path, root) for path, root in discover([shared_corpus])]


@pytest.fixture(scope="module")
def lexicon(documents):
    return Lexicon.build((d.id, d.title, d.metadata) for d in documents)


@pytest.mark.parametrize(
    "question, document_id",
    [
        ("What does the AI Act say about deep fakes?", AI_ACT),
        ("Was EO 14110 revoked?", "us__us-eo-14110-safe-secure-trustworthy-ai-2023.md"),
        ("What did Executive Order 14110 require?", "us__us-eo-14110-safe-secure-trustworthy-ai-2023.md"),
        ("How does the RMF define risk?", "us__nist-ai-rmf-1.0-ai-100-1.md"),
        ("What must developers publish under SB 53?", "us-states__california-sb53-transparency-frontier-ai-act-2025.txt"),
        ("Who enforces Colorado's law?", "us-states__colorado-ai-act-sb24-205.md"),
        ("What do China's interim measures say about minors?", "china__china-genai-interim-measures-2023-en-casi.md"),
        ("Which risks does the GenAI profile list?", "us__nist-ai-600-1-genai-profile-2024.md"),
        ("What is Regulation (EU) 2024/1689 about?", AI_ACT),
    ],
)
def test_named_instruments_are_recognised(lexicon, question, document_id):
    understood = lexicon.understand(question)
    assert document_id in understood.document_ids, understood
    assert understood.unknown_instruments == []


def test_jurisdictions_and_provisions(lexicon):
    understood = lexicon.understand("Compare Art. 99(3) of the EU AI Act with 6-1-1703 in Colorado and Section 4.2 of the US order")
    assert understood.jurisdictions == ["eu", "us", "us-co"]
    assert [(p.kind, p.ref) for p in understood.provisions] == [
        ("article", "99(3)"), ("code_section", "6-1-1703"), ("section", "4.2")]
    assert [p.kind for p in provisions("Annex III and Recital 12, Chapter IV and Article 50")] == [
        "annex", "recital", "chapter", "article"]
    assert lexicon.understand("can you tell us about it").jurisdictions == []  # "us" is a pronoun here


@pytest.mark.parametrize(
    "question, missing",
    [
        ("What does South Korea's AI Basic Act require?", "South Korea's AI Basic Act"),
        ("Under the Texas Responsible AI Governance Act, which uses are banned?", "Texas Responsible AI Governance Act"),
        ("What does Japan's AI Promotion Act say?", "Japan's AI Promotion Act"),
        ("What did Executive Order 14148 rescind?", "Executive Order 14148"),
    ],
)
def test_instruments_not_in_the_corpus(lexicon, question, missing):
    understood = lexicon.understand(question)
    assert understood.unknown_instruments == [missing]
    refusal = missing_instrument(understood, lexicon.titles, lambda phrase: False, lambda d, w: False, ["A", "B"])
    assert refusal.reason == NOT_IN_CORPUS
    assert refusal.message.startswith("The corpus does not include ") and refusal.message.endswith(
        "the closest documents are A and B.")


def test_a_name_the_corpus_mentions_is_left_to_the_evidence(lexicon):
    understood = lexicon.understand("How many parties signed the Bletchley Declaration?")
    assert understood.unknown_instruments == ["Bletchley Declaration"]
    assert missing_instrument(understood, lexicon.titles, lambda phrase: True, lambda d, w: True, []) is None


def test_provisions_the_instrument_does_not_have(lexicon, documents):
    inventories = {d.id: provision_inventory(d.text) for d in documents}
    assert len(inventories[AI_ACT]["article"]) == 113 and "XIII" in inventories[AI_ACT]["annex"]
    refusal = missing_provision(lexicon.understand("What does Article 250 of the AI Act say?"), inventories, lexicon.titles)
    assert refusal.reason == NO_SUCH_PROVISION
    assert refusal.message == "Regulation (EU) 2024/1689 (Artificial Intelligence Act) has no Article 250 (its numbering runs from 1 to 113)."
    for fine in ("What does Article 50 of the AI Act require?", "What does Annex III of the AI Act list?",
                 "What does 6-1-1703 of Colorado's AI act require?", "What does Article 24 of China's interim measures say?"):
        assert missing_provision(lexicon.understand(fine), inventories, lexicon.titles) is None, fine
    assert missing_provision(lexicon.understand("What does Annex XV of the AI Act list?"), inventories, lexicon.titles)


def test_the_kind_of_value_asked_for():
    assert asked_value("When does the AI Act apply?") == "date"
    assert asked_value("How much money did the resolution commit?") == "amount"
    assert asked_value("How many companies signed?") == "number"
    assert asked_value("How quickly must an incident be reported?") == "time limit"
    assert asked_value("What does the AI Act require?") is None
    question = "How much money did the resolution commit to a capacity fund?"
    gap = missing_value(question, ["Member States are encouraged to support capacity building."])
    assert gap.reason == VALUE_NOT_FOUND and "do not state an amount" in gap.message
    assert missing_value(question, ["It pledged USD 10 million to the fund."]) is None
