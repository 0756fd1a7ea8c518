"""Generated answers through the real pipeline (built-in corpus, real embedding model, real Chroma)
against a scripted OpenAI-compatible server: every way a model goes wrong ends in a dropped
sentence or the extractive answer, never in an unsupported fact in ``answer``."""

from __future__ import annotations

import re
import socket
import time

import pytest

from rag.config import LlmSettings
from rag.errors import InvalidInput
from rag.generation import ModelWriter
from tests.scripted_llm import FABRICATED_AMOUNT, FABRICATED_DATE, first_sentence

NO_EXTRA = "the llm extra (pip install -e '.[llm]') is not installed"

QUESTION = "What did Elon Musk say about China's attitude towards international rules for AI?"
TIMEOUT_S = 2.0


@pytest.fixture
def generating(news_pipeline, scripted_model, monkeypatch):
    """The session's news pipeline, answering through the scripted model."""
    pytest.importorskip("langchain_openai", reason=NO_EXTRA)
    use_model(news_pipeline, monkeypatch, LlmSettings(base_url=scripted_model.url, timeout_s=TIMEOUT_S))
    scripted_model.requests.clear()
    return news_pipeline


def use_model(pipeline, monkeypatch, llm: LlmSettings) -> None:
    """The session's pipeline, for one test, with a language model configured."""
    monkeypatch.setattr(pipeline, "settings", pipeline.settings.model_copy(update={"llm": llm}))
    monkeypatch.setattr(pipeline.answerers["generative"], "writer", ModelWriter.from_settings(llm))


def ask(pipeline, scripted_model, scenario: str, **kwargs):
    scripted_model.scenario = scenario
    return pipeline.ask(QUESTION, mode=kwargs.pop("mode", "generative"), **kwargs)


def assert_exact(pipeline, answer) -> None:
    """Every citation quotes its document exactly; every sentence ends with markers that resolve."""
    for c in answer.citations:
        assert pipeline.get_text(c.document_id)[c.start:c.end] == c.quote
    numbers = {c.n for c in answer.citations}
    for sentence in re.split(r"(?<=\])\s+", answer.answer):
        assert re.search(r"(\[\d+\])+$", sentence), sentence
        assert {int(n) for n in re.findall(r"\[(\d+)\]", sentence)} <= numbers


def test_a_faithful_reply_becomes_the_answer_with_exact_citations(generating, scripted_model):
    answer = ask(generating, scripted_model, "faithful")
    assert answer.mode == "generative" and answer.fallback_reason is None and not answer.dropped
    assert len(answer.citations) == 1
    evidence = answer.citations[0]
    assert answer.answer == f"{first_sentence(' '.join(evidence.quote.split()))} [1]"
    assert_exact(generating, answer)
    assert answer.timings_ms["model_ms"] >= answer.timings_ms["model_first_token_ms"] > 0
    prompt = scripted_model.requests[-1]["messages"][-1]["content"]
    assert QUESTION in prompt and "[1] " in prompt and evidence.title in prompt
    assert scripted_model.requests[-1]["temperature"] == 0 and scripted_model.requests[-1]["stream"] is True


def test_a_fabricated_amount_is_dropped_and_the_true_sentence_kept(generating, scripted_model):
    answer = ask(generating, scripted_model, "fabricated_amount")
    assert answer.mode == "generative"
    assert "250" not in answer.answer and "yuan" not in answer.answer
    assert [(d.text, d.reason) for d in answer.dropped] == [(FABRICATED_AMOUNT, "unsupported_number")]
    assert "250,000,000,000 cny" in answer.dropped[0].detail
    assert_exact(generating, answer)


def test_a_fabricated_date_never_reaches_the_answer(generating, scripted_model):
    answer = ask(generating, scripted_model, "fabricated_date")
    assert answer.mode == "extractive" and answer.fallback_reason == "nothing_verified"
    assert "2019" not in answer.answer and "March" not in answer.answer
    assert [(d.text, d.reason) for d in answer.dropped] == [(FABRICATED_DATE, "unsupported_date")]
    assert answer.citations and not answer.abstained  # the extractive answer, as without a model
    assert answer.answer == generating.ask(QUESTION, mode="extractive").answer


@pytest.mark.parametrize(
    "scenario, reason, dropped",
    [
        ("out_of_range", "nothing_verified", ["citation_out_of_range"]),
        ("no_markers", "nothing_verified", ["no_citation"]),
        ("declines", "model_declined", ["no_citation"]),
        ("empty", "empty_reply", []),
        ("http_500", "model_error", []),
    ],
)
def test_a_useless_reply_falls_back_to_the_extractive_answer(generating, scripted_model, scenario, reason, dropped):
    answer = ask(generating, scripted_model, scenario)
    assert (answer.mode, answer.fallback_reason) == ("extractive", reason)
    assert [d.reason for d in answer.dropped] == dropped
    assert answer.answer == generating.ask(QUESTION, mode="extractive").answer
    assert_exact(generating, answer)


def test_a_hanging_model_times_out_into_the_extractive_answer(generating, scripted_model):
    began = time.monotonic()
    answer = ask(generating, scripted_model, "hang")
    assert time.monotonic() - began < TIMEOUT_S + 5
    assert (answer.mode, answer.fallback_reason) == ("extractive", "model_timeout")
    assert_exact(generating, answer)


def test_a_model_that_stops_midway_keeps_what_was_verified(generating, scripted_model):
    answer = ask(generating, scripted_model, "hang_after_one")
    assert answer.mode == "generative" and answer.fallback_reason is None
    assert len(answer.citations) == 1
    assert_exact(generating, answer)


def test_an_unreachable_model(news_pipeline, monkeypatch):
    pytest.importorskip("langchain_openai", reason=NO_EXTRA)
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    use_model(news_pipeline, monkeypatch, LlmSettings(base_url=f"http://127.0.0.1:{port}/v1"))
    answer = news_pipeline.ask(QUESTION, mode="generative")
    assert (answer.mode, answer.fallback_reason) == ("extractive", "model_unreachable")


def test_streaming_sends_passages_then_verified_sentences_then_citations(generating, scripted_model):
    scripted_model.scenario = "fabricated_amount"
    events = list(generating.ask_stream(QUESTION, mode="generative"))
    assert [event.kind for event in events] == ["passages", "delta", "citations", "done"]
    assert events[1].text == events[-1].answer.answer
    assert events[2].citations == events[-1].answer.citations


def test_modes_without_a_model(news_pipeline):
    assert news_pipeline.answerers["generative"].writer is None
    auto = news_pipeline.ask(QUESTION)
    assert (auto.mode, auto.fallback_reason, auto.dropped) == ("extractive", None, [])
    generative = news_pipeline.ask(QUESTION, mode="generative")
    assert (generative.mode, generative.fallback_reason) == ("extractive", "no_model_configured")
    assert generative.answer == auto.answer
    with pytest.raises(InvalidInput):
        news_pipeline.ask(QUESTION, mode="creative")


def test_auto_generates_when_a_model_is_configured(generating, scripted_model):
    assert ask(generating, scripted_model, "faithful", mode="auto").mode == "generative"
    assert ask(generating, scripted_model, "faithful", mode="extractive").mode == "extractive"


def test_weak_evidence_does_not_ask_the_model(generating, scripted_model):
    scripted_model.scenario = "faithful"
    answer = generating.ask("What penalties apply to jaywalking?", mode="generative")
    assert answer.abstained and answer.fallback_reason == "weak_evidence"
    assert not scripted_model.requests


def test_an_instrument_the_corpus_lacks_is_refused_before_the_model(generating, scripted_model):
    scripted_model.scenario = "faithful"
    answer = generating.ask("What penalties does the EU AI Act set for jaywalking?", mode="generative")
    assert answer.abstained and answer.abstain_reason == "not_in_corpus" and not answer.citations
    assert "does not include" in answer.answer
    assert not scripted_model.requests


def test_the_ollama_provider_uses_ollamas_own_client():
    pytest.importorskip("langchain_ollama", reason=NO_EXTRA)
    from rag.generation.model import chat_model

    model = chat_model(LlmSettings(base_url="http://127.0.0.1:11434", model="llama3.1:8b", provider="ollama", max_tokens=99))
    assert type(model).__name__ == "ChatOllama"
    assert (model.base_url, model.model, model.num_predict, model.temperature) == ("http://127.0.0.1:11434", "llama3.1:8b", 99, 0)
