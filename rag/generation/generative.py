"""The generative answerer: the model writes [n]-marked prose from the evidence list;
each sentence is verified as soon as it is complete, and only kept sentences are
returned, their markers renumbered to the citations behind them.

When nothing is kept (an empty reply, a refusal, nothing verified) or the model
fails before any sentence is kept (timeout, error, unreachable), the answer is
the extractive one with a ``fallback_reason``. A failure after some sentences
were kept ends the answer at the last kept sentence; the unfinished rest is
reported as dropped (``incomplete``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

from ..answering import CitationsEvent, DeltaEvent, DoneEvent, ExtractiveAnswerer, Retrieval, answer_of
from ..config import LlmSettings
from ..types import Answer, Citation, DroppedSentence
from . import prompt
from .evidence import evidence_items
from .model import ModelClient, ModelFailure
from .verify import DEFAULT_MIN_COVERAGE, Source, Verdict, split_sentences, verify_sentence

# Fallback reasons besides the model failures of .model (model_timeout, model_unreachable, ...).
NO_MODEL = "no_model_configured"
WEAK_EVIDENCE = "weak_evidence"  # the extractive answerer abstained: the model is not asked
EMPTY_REPLY = "empty_reply"
DECLINED = "model_declined"  # the model said the evidence does not answer
NOTHING_VERIFIED = "nothing_verified"

_COMPLETE = re.compile(r"[.!?\]][\"'”’)]*$")
_DECLINE_WORDS = re.compile(
    r"\b(does not|doesn't|do not|cannot|can't|unable to|no information)\b.{0,40}\b(answer|mention|say|provide|contain|specif)",
    re.IGNORECASE,
)


@dataclass
class Generation:
    """What generation produced: kept sentences (markers renumbered), their citations, what was dropped."""

    sentences: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    dropped: list[DroppedSentence] = field(default_factory=list)
    fallback_reason: str | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)
    reply: str = ""  # the model's raw reply


class _Answer:
    """Kept sentences and their citations, numbered in order of first use."""

    def __init__(self, items: Sequence[Citation]):
        self.items = items
        self.generation = Generation()
        self._number: dict[int, int] = {}  # evidence number -> citation number
        self._bodies: set[str] = set()

    def take(self, verdict: Verdict) -> str | None:
        """The answer sentence for a verdict, or None when it is dropped or repeats a kept one."""
        if not verdict.kept:
            self.generation.dropped.append(DroppedSentence(verdict.body or verdict.text, verdict.reason or "", verdict.detail))
            return None
        if verdict.body in self._bodies:  # small models repeat themselves; a repeat adds nothing
            return None
        self._bodies.add(verdict.body)
        for n in verdict.cited:
            if n not in self._number:
                self._number[n] = len(self._number) + 1
                self.generation.citations.append(replace(self.items[n - 1], n=self._number[n]))
        body = verdict.body if verdict.body[-1:] in ".!?\"'”’" else verdict.body + "."
        sentence = body + " " + "".join(f"[{self._number[n]}]" for n in verdict.cited)
        self.generation.sentences.append(sentence)
        return sentence


class ModelWriter:
    """The model writes from the evidence; each finished sentence is verified on arrival."""

    def __init__(self, client: ModelClient, min_coverage: float = DEFAULT_MIN_COVERAGE):
        self.client = client
        self.min_coverage = min_coverage

    @classmethod
    def from_settings(cls, settings: LlmSettings) -> ModelWriter | None:
        """The writer for the configured model, or None when no model is configured."""
        if not settings.configured:
            return None
        return cls(ModelClient(settings), settings.min_coverage or DEFAULT_MIN_COVERAGE)

    def stream(self, question: str, items: Sequence[Citation]) -> Iterator[tuple[str, object]]:
        """Yields ("delta", sentence) for each sentence as it is kept, then ("generation", Generation)."""
        sources = [Source(item.quote, prompt.label(item)) for item in items]
        answer = _Answer(items)
        generation = answer.generation
        started = time.perf_counter()
        reply, judged = "", 0
        try:
            for piece in self.client.stream(prompt.messages(question, items), prompt.grammar(len(items))):
                if not reply:
                    generation.timings_ms["model_first_token_ms"] = _ms(started)
                reply += piece
                sentences = split_sentences(reply)
                yield from self._judge(answer, sentences[judged:-1], sources)  # the last one may still grow
                judged = max(judged, len(sentences) - 1)
        except ModelFailure as failure:
            rest = split_sentences(reply)[judged:]
            yield from self._judge(answer, [s for s in rest if _COMPLETE.search(s)], sources)  # finished in time
            for sentence in rest:
                if not _COMPLETE.search(sentence):
                    generation.dropped.append(DroppedSentence(sentence, "incomplete", f"the model stopped: {failure.reason}"))
            if not generation.sentences:
                generation.fallback_reason = failure.reason
        else:
            yield from self._judge(answer, split_sentences(reply)[judged:], sources)
            if not generation.sentences:
                generation.fallback_reason = _why_nothing(reply)
        generation.timings_ms["model_ms"] = _ms(started)
        generation.reply = reply
        yield "generation", generation

    def _judge(self, answer: _Answer, sentences: Sequence[str], sources: Sequence[Source]) -> Iterator[tuple[str, object]]:
        for sentence in sentences:
            kept = answer.take(verify_sentence(sentence, sources, self.min_coverage))
            if kept:
                yield "delta", kept


class GenerativeAnswerer:
    """The ``Answerer`` named "generative": verified generated sentences, the extractive answer as the floor."""

    name = "generative"

    def __init__(self, extractive: ExtractiveAnswerer, writer: ModelWriter | None):
        self.extractive = extractive
        self.writer = writer

    def answer(self, question: str, retrieved: Retrieval) -> Answer:
        return answer_of(self.stream(question, retrieved))

    def stream(self, question: str, retrieved: Retrieval) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        cands, confidence = self.extractive.scored(question, retrieved)
        floor_events = list(self.extractive.stream_scored(question, retrieved, cands, confidence))
        floor = answer_of(iter(floor_events))
        generation = Generation(fallback_reason=NO_MODEL if self.writer is None else WEAK_EVIDENCE)
        if self.writer is not None and floor.citations:  # weak evidence: the model is not asked
            items = evidence_items(cands, retrieved.document_text, self.extractive.settings.redundancy)
            for kind, payload in self.writer.stream(question, items):
                if kind == "delta":
                    yield DeltaEvent(len(generation.sentences), str(payload))
                    generation.sentences.append(str(payload))
                else:
                    assert isinstance(payload, Generation)
                    generation = payload
        if generation.sentences:
            yield CitationsEvent(generation.citations)
            yield DoneEvent(replace(
                floor, answer=" ".join(generation.sentences), citations=generation.citations, abstained=False,
                mode="generative", dropped=generation.dropped, timings_ms=generation.timings_ms,
            ))
            return
        yield from (event for event in floor_events if not isinstance(event, DoneEvent))
        yield DoneEvent(replace(
            floor, dropped=generation.dropped, fallback_reason=generation.fallback_reason, timings_ms=generation.timings_ms,
        ))


def _why_nothing(reply: str) -> str:
    if not reply.strip():
        return EMPTY_REPLY
    if prompt.DECLINE.lower().rstrip(".") in reply.lower() or _DECLINE_WORDS.search(reply):
        return DECLINED
    return NOTHING_VERIFIED


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
