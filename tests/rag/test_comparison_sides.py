"""Every instrument a comparison names gets evidence: instruments described rather than named
("the December 2025 executive order", "NIST", "state laws") become sides, each side keeps its
share of the top passages, and a term each side defines is fetched by its definition.
The lexicon tests read the shared corpus catalogue; the search tests use the real model and
Chroma over the shared corpus."""

from __future__ import annotations

import json

import pytest

from rag.understanding import Lexicon

AI_ACT = "eu__eu-ai-act-2024-1689.txt"
COLORADO = "us-states__colorado-ai-act-sb24-205.md"
CALIFORNIA = "us-states__california-sb53-transparency-frontier-ai-act-2025.txt"
CHINA = "china__china-genai-interim-measures-2023-en-casi.md"
ACTION_PLAN = "us__us-americas-ai-action-plan-2025.pdf"
NSM_FRAMEWORK = "us__us-nsm-ai-governance-risk-framework-2024.md"
G7_CODE = "intl__g7-hiroshima-process-code-of-conduct-2023.pdf"
UN = "intl__un-ga-resolution-78-265-ai-2024.pdf"
RMF = "us__nist-ai-rmf-1.0-ai-100-1.md"
GENAI_PROFILE = "us__nist-ai-600-1-genai-profile-2024.md"
DECEMBER_ORDER = "us__us-eo-national-policy-framework-ai-2025-12.md"


@pytest.fixture(scope="module")
def lexicon(shared_corpus):
    catalog = json.loads((shared_corpus / "catalog.json").read_text())["documents"]
    return Lexicon.build((path.replace("/", "__"), meta["title"], meta) for path, meta in catalog.items())


# ---------------------------------------------------------------- described instruments


@pytest.mark.parametrize(
    "question, document",
    [
        ("Preemption: how do SB 53 and the December 2025 executive order each deal with overlapping rules?",
         DECEMBER_ORDER),
        ("Critical infrastructure and AI: compare the EU AI Act with the US Action Plan.", ACTION_PLAN),
        ("Emotion recognition: how do the EU AI Act and the US national security AI framework compare?", NSM_FRAMEWORK),
        ("The memorandum tells the US to align with the G7's October 2023 code: what is that code for?", G7_CODE),
    ],
)
def test_an_instrument_described_by_kind_place_date_or_publisher_is_recognised(lexicon, question, document):
    understood = lexicon.understand(question)
    assert document in understood.document_ids and document in understood.described


def test_a_description_that_fits_no_stored_instrument_names_nothing(lexicon):
    understood = lexicon.understand("What did the 2021 US executive order on AI require?")
    assert not understood.described and not understood.families


def test_a_kind_word_used_as_a_verb_describes_nothing(lexicon):
    assert not lexicon.understand("Does the UK plan binding rules for the most powerful AI models?").described


def test_a_family_of_instruments_is_recognised(lexicon):
    families = dict(lexicon.understand("Which US executive orders and state laws deal with AI?").families)
    assert len(families["US executive orders"]) == 7
    assert set(families["state laws"]) == {COLORADO, CALIFORNIA}
    nist = dict(lexicon.understand("What does trustworthy AI mean for NIST and for the UN?").families)
    assert set(nist["NIST"]) == {RMF, GENAI_PROFILE}


def test_a_publisher_beside_its_own_named_document_is_no_family(lexicon):
    understood = lexicon.understand("By when does NIST expect a formal review of the AI RMF?")
    assert understood.document_ids == [RMF] and not understood.families


# ---------------------------------------------------------------- over the corpus


def _steer(pipeline, question):
    facts = pipeline.status.refresh()
    return pipeline.steer(question, facts.lexicon.understand(question), facts, None)


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize(
    "question, sides",
    [
        ("What does trustworthy AI mean for NIST and for the UN General Assembly?", [{UN}, {RMF, GENAI_PROFILE}]),
        ("Child safety: what do China's interim measures and the December 2025 US order say?",
         [{CHINA}, {DECEMBER_ORDER}]),
    ],
)
def test_described_instruments_are_sides_that_each_get_passages(corpus_pipeline, question, sides):
    steer = _steer(corpus_pipeline, question)
    assert steer is not None and [set(s.document_ids) for s in steer.sides] == sides
    results = corpus_pipeline.search(question, top_k=4)
    for members in sides:
        assert sum(p.document_id in members for p in results) == 2, [p.document_id for p in results]


@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize(
    "question",
    [
        "How do Colorado's AI act and California's SB 53 differ in whom they regulate?",
        "Who is a deployer in the EU versus in Colorado?",
        "Regulatory sandboxes in the EU, US and UK: who proposes what?",
    ],
)
def test_every_side_keeps_its_share_of_the_top_passages(corpus_pipeline, question):
    steer = _steer(corpus_pipeline, question)
    assert steer is not None and len(steer.sides) >= 2
    top_k = 5
    results = corpus_pipeline.search(question, top_k=top_k)
    assert len(results) == top_k
    share = top_k // len(steer.sides)
    for side in steer.sides:
        own = [p for p in results if p.document_id in side.document_ids]
        assert len(own) >= share, (side.label, [p.document_id for p in results])
    first_round = {next(i for i, s in enumerate(steer.sides) if p.document_id in s.document_ids) for p in results[:len(steer.sides)]}
    assert first_round == set(range(len(steer.sides))), "each side's best passage comes before any side's second"


@pytest.mark.corpus
@pytest.mark.slow
def test_each_side_of_a_definition_comparison_brings_its_definition(corpus_pipeline):
    results = corpus_pipeline.search("Are the EU and Colorado definitions of an AI system alike?", top_k=4)
    by_document = {p.document_id: p for p in reversed(results)}
    assert "‘AI system’ means" in by_document[AI_ACT].text
    assert '"ARTIFICIAL INTELLIGENCE SYSTEM"' in by_document[COLORADO].text.upper()


@pytest.mark.corpus
@pytest.mark.slow
def test_the_longest_defined_term_the_question_uses_wins(corpus_pipeline):
    first = corpus_pipeline.search("How does the AI Act define an 'AI system'?", top_k=3)[0]
    assert first.document_id == AI_ACT and "‘AI system’ means" in first.text
    model = corpus_pipeline.search("How does the AI Act define a general-purpose AI model?", top_k=3)[0]
    assert "‘general-purpose AI model’ means" in model.text
