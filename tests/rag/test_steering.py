"""What a question names steers retrieval: a lone named instrument is searched alone, a cited
provision's chunks come first, and a comparison is searched and answered side by side.
Real model, real Chroma, the shared corpus."""

from __future__ import annotations

import pytest

from eval.metrics import cited_sentence_share
from rag.answering import Retrieval, answer_of
from rag.answering.comparison import ComparisonAnswerer, no_evidence_note
from rag.steering import Side, provision_keys, without_names
from rag.understanding import Lexicon
from tests.rag.test_answers import assert_checkable

AI_ACT = "eu__eu-ai-act-2024-1689.txt"
COLORADO = "us-states__colorado-ai-act-sb24-205.md"
CHINA = "china__china-genai-interim-measures-2023-en-casi.md"
CALIFORNIA = "us-states__california-sb53-transparency-frontier-ai-act-2025.txt"


# ---------------------------------------------------------------- without the corpus


def test_section_labels_name_their_provisions():
    assert provision_keys("Article 50") == [("article", "50")]
    assert provision_keys("Annex iii") == [("annex", "III")]
    assert provision_keys("Section 6-1-1703") == [("section", "6-1-1703"), ("code_section", "6-1-1703")]
    assert provision_keys("Transparency obligations") == []


def test_a_comparison_query_leaves_out_the_names_it_searches_by():
    lexicon = Lexicon.build([(AI_ACT, "Regulation (EU) 2024/1689 (Artificial Intelligence Act)", {"jurisdiction": "eu"}),
                             (COLORADO, "Colorado SB 24-205 Consumer Protections for Artificial Intelligence",
                              {"jurisdiction": "us-co"})])
    question = "How do the EU AI Act and Colorado's law define high-risk AI?"
    stripped = without_names(question, lexicon.understand(question))
    assert "high-risk" in stripped and "Colorado" not in stripped and "AI Act" not in stripped


# ---------------------------------------------------------------- over the corpus


@pytest.fixture
def steered(corpus_pipeline, monkeypatch):
    """The corpus pipeline with steering on for /ask too (``retrieval.steer_answers``)."""
    settings = corpus_pipeline.settings
    retrieval = settings.retrieval.model_copy(update={"steer_answers": True})
    monkeypatch.setattr(corpus_pipeline, "settings", settings.model_copy(update={"retrieval": retrieval}))
    return corpus_pipeline



@pytest.mark.usefixtures("steered")
@pytest.mark.corpus
@pytest.mark.slow
def test_a_lone_named_instrument_is_searched_alone(corpus_pipeline):
    results = corpus_pipeline.search("Who enforces Colorado's AI Act, and can consumers sue under it?", top_k=10)
    assert results and {p.document_id for p in results} == {COLORADO}
    answer = corpus_pipeline.ask("Who enforces Colorado's AI Act, and can consumers sue under it?")
    assert answer.understood["documents"][0]["document_id"] == COLORADO
    assert not answer.abstained and {c.document_id for c in answer.citations} == {COLORADO}


@pytest.mark.corpus
@pytest.mark.slow
def test_a_named_instrument_is_raised_when_the_filter_is_off(corpus_pipeline, monkeypatch):
    question = "Who enforces Colorado's AI Act, and can consumers sue under it?"
    facts = corpus_pipeline.status.refresh()
    understood = facts.lexicon.understand(question)
    steer = corpus_pipeline.steer(question, understood, facts, None)
    assert steer is not None and steer.only == (COLORADO,)
    settings = corpus_pipeline.settings
    retrieval = settings.retrieval.model_copy(update={"one_instrument_filter": False})
    monkeypatch.setattr(corpus_pipeline, "settings", settings.model_copy(update={"retrieval": retrieval}))
    boosted = corpus_pipeline.steer(question, understood, facts, None)
    assert boosted is not None and boosted.only is None and boosted.boost == (COLORADO,)
    results = corpus_pipeline.search(question, top_k=5)
    assert results[0].document_id == COLORADO


@pytest.mark.usefixtures("steered")
@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize(
    "question, document, section, paragraph",
    [
        ("What does Article 50 of the AI Act require?", AI_ACT, "Article 50", None),
        ("What does Art. 99(3) of the EU AI Act say about fines?", AI_ACT, "Article 99", "3."),
        ("Which uses does Annex III of the AI Act list?", AI_ACT, "Annex III", None),
        ("What must a deployer do under section 6-1-1703 of Colorado's AI act?", COLORADO, "6-1-1703", None),
        ("What does Annex III cover?", AI_ACT, "Annex III", None),  # the only document with an Annex III
    ],
)
def test_a_cited_provision_is_fetched_first(corpus_pipeline, question, document, section, paragraph):
    results = corpus_pipeline.search(question, top_k=5)
    first = results[0]
    assert first.document_id == document and section in (first.section or ""), [(p.document_id, p.section) for p in results]
    if paragraph:
        assert paragraph in first.text
    answer = corpus_pipeline.ask(question)
    assert not answer.abstained, answer.answer
    assert answer.passages[0].document_id == document and section in (answer.passages[0].section or "")
    assert answer.understood["provisions"] and answer.citations
    assert_checkable(corpus_pipeline, answer)


@pytest.mark.usefixtures("steered")
@pytest.mark.corpus
@pytest.mark.slow
@pytest.mark.parametrize(
    "question, documents",
    [
        ("How do the EU AI Act and Colorado's law define high-risk AI?", {AI_ACT, COLORADO}),
        ("How do China and Colorado tackle AI discrimination?", {CHINA, COLORADO}),
        ("Whistleblowers: compare the EU AI Act with California's SB 53.", {AI_ACT, CALIFORNIA}),
    ],
)
def test_a_comparison_is_searched_and_answered_side_by_side(corpus_pipeline, question, documents):
    results = corpus_pipeline.search(question, top_k=4)
    assert {p.document_id for p in results[:2]} == documents, [p.document_id for p in results]
    answer = corpus_pipeline.ask(question)
    assert not answer.abstained, answer.answer
    cited = [c.document_id for c in answer.citations]
    assert set(cited) <= documents and cited
    groups = [d for i, d in enumerate(cited) if i == 0 or cited[i - 1] != d]
    assert len(groups) == len(set(groups)), f"citations grouped by instrument: {cited}"
    covered = set(cited) | {d for d in documents if any(n.startswith("No retrieved passage") for n in answer.notes)}
    assert covered == documents, (cited, answer.notes)
    assert cited_sentence_share(answer.answer, answer.notes) == 1.0
    assert_checkable(corpus_pipeline, answer)


@pytest.mark.corpus
@pytest.mark.slow
def test_a_side_without_evidence_gets_an_uncited_note(corpus_pipeline):
    question = "What transparency duties apply to providers of AI systems that interact with people?"
    passages = corpus_pipeline.search(question, top_k=5, filters={"document_ids": [AI_ACT]})
    chunks = corpus_pipeline.store.get_chunks([c for p in passages for c in p.chunk_ids], with_vectors=True)
    vector = corpus_pipeline.embedder.embed_query(question)
    retrieved = Retrieval(passages, chunks, vector, corpus_pipeline.retriever.document_text)
    sides = (Side("the AI Act", (AI_ACT,)), Side("Colorado SB 24-205", (COLORADO,)))
    answer = answer_of(ComparisonAnswerer(corpus_pipeline.extractive, sides).stream(question, retrieved))
    assert not answer.abstained and answer.citations
    assert {c.document_id for c in answer.citations} == {AI_ACT}
    assert answer.notes == [no_evidence_note(sides[1])] and answer.answer.endswith(answer.notes[0])
    assert cited_sentence_share(answer.answer, answer.notes) == 1.0
    assert_checkable(corpus_pipeline, answer)
