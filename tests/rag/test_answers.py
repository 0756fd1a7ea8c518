"""Questions over the real corpora: right document and section, checkable
citations, abstention when the documents do not hold the answer, filters."""

from __future__ import annotations

import pytest

from rag.answering import CitationsEvent, DeltaEvent, DoneEvent, PassagesEvent
from rag.citations import is_valid, markers
from rag.errors import InvalidInput


def assert_checkable(pipeline, answer) -> None:
    assert sorted(markers(answer.answer)) == [c.n for c in answer.citations]
    for citation in answer.citations:
        assert is_valid(citation, pipeline.get_text(citation.document_id)), citation
        assert citation.quote.strip() and citation.end - citation.start == len(citation.quote)


def test_news_question_cites_the_report(news_pipeline):
    answer = news_pipeline.ask("What did Li Qiang call for at the World Artificial Intelligence Conference?")
    assert not answer.abstained
    assert answer.citations[0].document_id == "news__china-waic-global-ai-cooperation-2025.txt"
    assert "unified international approach" in answer.answer
    assert_checkable(news_pipeline, answer)


def test_news_false_premise_abstains(news_pipeline):
    answer = news_pipeline.ask("What penalties does the EU AI Act set for jaywalking?")
    assert answer.abstained and answer.citations == []
    # the built-in corpus holds two news reports: the AI Act is not in it, and the answer says so
    assert answer.answer.startswith("The corpus does not include the EU AI Act; the closest documents are")
    assert answer.abstain_reason == "not_in_corpus"
    assert answer.passages, "the closest passages are still returned"


@pytest.mark.parametrize(
    ("question", "document", "section"),
    [
        ("Which AI practices does the EU AI Act prohibit outright?", "eu__eu-ai-act-2024-1689.txt", "Article 5"),
        ("What must deployers of a deep fake disclose under the EU AI Act?", "eu__eu-ai-act-2024-1689.txt", "Article 50"),
        ("What duty of care do deployers of high-risk AI systems have in Colorado?",
         "us-states__colorado-ai-act-sb24-205.md", "6-1-1703"),
        ("What must a large frontier developer publish under California's frontier AI law?",
         "us-states__california-sb53-transparency-frontier-ai-act-2025.txt", "22757.12"),
        pytest.param(
            "What do China's interim measures require providers to do about labelling generated content?",
            "china__china-genai-interim-measures-2023-en-casi.md", "Article 12",
            marks=pytest.mark.xfail(strict=True, reason="known weakness: Article 8 (labelling of training data) and "
                                    "Article 12 now meet the same share of the question's words, but Article 8 is "
                                    "closer in the embedding (0.52 against 0.43) and three times longer"),
        ),
        ("Which article of China's interim measures deals with complaints and reports from users?",
         "china__china-genai-interim-measures-2023-en-casi.md", "Article"),
    ],
)
def test_provision_questions_land_on_the_operative_text(corpus_pipeline, question, document, section):
    answer = corpus_pipeline.ask(question)
    assert not answer.abstained, answer.answer
    cited = [(c.document_id, c.section or "") for c in answer.citations]
    assert any(doc == document and section in sec for doc, sec in cited), cited
    assert_checkable(corpus_pipeline, answer)


@pytest.mark.parametrize(
    "question",
    [
        "What penalties does the EU AI Act set for jaywalking?",
        "What does South Korea's AI Basic Act require of high-impact AI operators?",
        "What is the speed limit for autonomous trucks on German motorways?",
        "Which fines does the Colorado AI act set for jaywalking by robots?",
    ],
)
def test_out_of_corpus_questions_abstain(corpus_pipeline, question):
    answer = corpus_pipeline.ask(question)
    assert answer.abstained, answer.answer
    assert answer.citations == []


def test_filters_exclude_what_they_should(corpus_pipeline):
    question = "obligations for providers of general-purpose AI models"
    only_us = corpus_pipeline.search(question, top_k=10, filters={"jurisdiction": "us"})
    assert only_us and all(p.document_id.startswith("us__") for p in only_us)
    one_doc = corpus_pipeline.search(question, filters={"document_ids": ["china__china-genai-interim-measures-2023-en-casi.md"]})
    assert one_doc and {p.document_id for p in one_doc} == {"china__china-genai-interim-measures-2023-en-casi.md"}
    laws_2024 = corpus_pipeline.search(question, filters={"doc_type": "law", "date_from": "2024-01-01", "date_to": "2024-12-31"})
    assert laws_2024 and {p.document_id for p in laws_2024} <= {"eu__eu-ai-act-2024-1689.txt", "us-states__colorado-ai-act-sb24-205.md"}
    assert corpus_pipeline.search(question, filters={"jurisdiction": "atlantis"}) == []
    answer = corpus_pipeline.ask("What must providers of general-purpose AI models publish?", filters={"jurisdiction": "eu"})
    assert not answer.abstained and answer.citations, answer.answer
    assert all(c.document_id.startswith("eu__") for c in answer.citations)


def test_search_results_are_exact_spans_and_sections_are_not_repeated(corpus_pipeline):
    results = corpus_pipeline.search("risk management system for high-risk AI systems", top_k=10)
    assert len(results) == 10
    keys = [(p.document_id, p.section) for p in results if p.section]
    assert len(keys) == len(set(keys)), "one section is shown once"
    for p in results:
        assert corpus_pipeline.get_text(p.document_id)[p.start:p.end] == p.text
    assert [p.score for p in results] == sorted((p.score for p in results), reverse=True)


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_every_mode_returns_ranked_passages(corpus_pipeline, mode):
    results = corpus_pipeline.search("labelling of AI-generated content", top_k=5, mode=mode)
    assert 0 < len(results) <= 5


@pytest.mark.parametrize("question", ["", "   \n ", "x" * 5000, None, 42])
def test_bad_questions_get_clear_errors(news_pipeline, question):
    with pytest.raises(InvalidInput) as caught:
        news_pipeline.ask(question)
    assert caught.value.message


@pytest.mark.parametrize("filters", [{"date_from": "last year"}, {"jurisdiction": {"nested": 1}}, {"document_ids": 5}, "eu"])
def test_bad_filters_get_clear_errors(news_pipeline, filters):
    with pytest.raises(InvalidInput):
        news_pipeline.search("cooperation", filters=filters)


def test_stream_events_arrive_in_order_and_match_the_answer(news_pipeline):
    events = list(news_pipeline.ask_stream("What did Musk say about China and AI regulation?"))
    assert isinstance(events[0], PassagesEvent)
    assert isinstance(events[-2], CitationsEvent) and isinstance(events[-1], DoneEvent)
    deltas = [event for event in events if isinstance(event, DeltaEvent)]
    assert deltas and len(deltas) == len(events) - 3
    assert [d.index for d in deltas] == list(range(len(deltas)))
    answer = events[-1].answer
    assert events[-2].citations == answer.citations and events[0].passages == answer.passages
    assert " ".join(d.text for d in deltas) == answer.answer


def test_a_sentence_repeating_the_documents_name_does_not_meet_the_question_by_it():
    """Words are compared by their first letters, so "generated" would meet "generative"; the
    "generative" of "Generative Artificial Intelligence" names the document and meets nothing."""
    from rag.answering.extractive import ExtractiveAnswerer

    answerer = ExtractiveAnswerer(statistics=None, is_uncommon_word=lambda w: False)  # type: ignore[arg-type]
    title = "Interim Measures for the Management of Generative Artificial Intelligence Services"
    weights = {"labelling": 1.0, "generated": 1.0, "content": 1.0, "interim": 1.0, "measures": 1.0}
    ignore = answerer.title_stems(title, weights)
    assert ignore == {answerer._stem("interim"), answerer._stem("measures")}  # the words naming the document
    unmatched = frozenset({"generative", "artificial", "intelligence", "interim", "measures"}) - set(weights)
    training = "Where data labeling is carried out for generative artificial intelligence, labeling content is checked."
    output = "Providers should label pictures, videos, and other generated content."
    assert answerer.overlap(weights, output, ignore, unmatched) == 1.0
    assert answerer.overlap(weights, training, ignore, unmatched) == pytest.approx(2 / 3)
    assert answerer.overlap(weights, training, ignore) == 1.0  # without leaving the name out, a tie


def test_a_question_asking_what_a_term_means_quotes_its_definition(corpus_pipeline):
    answer = corpus_pipeline.ask("What does the AI Act mean by a deep fake?")
    assert not answer.abstained, answer.answer
    first = answer.citations[0]
    assert first.document_id == "eu__eu-ai-act-2024-1689.txt"
    assert "‘deep fake’ means" in first.quote
    assert "‘serious incident’" not in first.quote  # the definition alone, not with the one above as its lead-in
    assert_checkable(corpus_pipeline, answer)


def test_a_sentence_is_quoted_with_the_one_continuing_it(corpus_pipeline):
    answer = corpus_pipeline.ask("How must Chinese generative AI providers handle complaints from the public?")
    assert not answer.abstained, answer.answer
    first, following = answer.citations[0], answer.citations[1]
    assert "establish and improve a mechanism for receiving complaints" in first.quote
    # the next sentence of the paragraph refers back to it ("They should also ..."): quoted with it, under its
    # own citation
    assert following.quote.startswith("They should also publicize")
    assert following.document_id == first.document_id and 0 < following.start - first.end < 5
    assert_checkable(corpus_pipeline, answer)


def test_a_sentence_opening_with_a_time_does_not_continue_the_one_before(corpus_pipeline):
    answer = corpus_pipeline.ask("What did the UN Secretary-General say about AI regulation at the 2025 Shanghai conference?")
    assert not answer.abstained, answer.answer
    assert any("Guterres" in c.quote for c in answer.citations)
    # "This year's conference has attracted over 800 companies" speaks of a time, not of the sentence before
    assert not any(c.quote.startswith("This year") for c in answer.citations)
    assert_checkable(corpus_pipeline, answer)


def test_a_how_many_answer_gives_no_number_counting_something_else(corpus_pipeline):
    answer = corpus_pipeline.ask("How many written responses did the UK white paper consultation get?")
    assert not answer.abstained, answer.answer
    # the quoted sentence speaks of a "12-week public consultation": 12 counts weeks, not responses
    assert answer.direct_answer is None or answer.direct_answer.text == "409"
    assert_checkable(corpus_pipeline, answer)
