"""Extractive answers to comparisons, grouped by instrument.

A question that sets two or more instruments or jurisdictions side by side
("How do the AI Act and SB 53 define a frontier model?") is answered side by
side: the best sentences of each side's own passages, quoted and cited in turn,
one group per side. A side whose passages hold nothing close enough to the
question gets a note of its own ("No passage of SB 53 answers this."), uncited
because it quotes nothing. With no evidence on any side the answer abstains as
any extractive answer does.

    answerer = ComparisonAnswerer(extractive, sides)
    answer = answer_of(answerer.stream(question, retrieved))
"""

from __future__ import annotations

from collections.abc import Iterator

from ..steering import Side
from ..types import Answer, Citation
from .base import CitationsEvent, DeltaEvent, DoneEvent, Retrieval, answer_of
from .extractive import Candidate, Chosen, ExtractiveAnswerer, answer_events, compose

__all__ = ["ComparisonAnswerer", "NamesAsideAnswerer", "no_evidence_note"]


def no_evidence_note(side: Side) -> str:
    """What the answer says for a side with no evidence."""
    return f"No retrieved passage of {side.label} answers this."


class ComparisonAnswerer:
    """Wraps the extractive answerer: one group of cited sentences per side."""

    name = "extractive"

    def __init__(self, extractive: ExtractiveAnswerer, sides: tuple[Side, ...], scored_as: str | None = None):
        """``scored_as``: the question without the names of the sides (what the sides' search used,
        and the query vector's text): sentences are scored on what is asked of each side."""
        self.extractive = extractive
        self.sides = sides
        self.scored_as = scored_as

    def answer(self, question: str, retrieved: Retrieval) -> Answer:
        return answer_of(self.stream(question, retrieved))

    def stream(self, question: str, retrieved: Retrieval) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        settings = self.extractive.settings
        cands, confidence = self.extractive.scored(self.scored_as or question, retrieved)
        if not cands or confidence < settings.abstain_threshold:
            yield from self.extractive.stream_scored(question, retrieved, cands, confidence)
            return
        share = max(1, settings.max_sentences // len(self.sides))
        parts: list[str] = []
        notes: list[str] = []
        citations: list[Citation] = []
        for side in self.sides:
            own = [c for c in cands if c.chunk.document_id in side.document_ids]
            best = max((c.score for c in own), default=0.0)
            chosen = self._choose(own, share, retrieved) if own and best >= settings.abstain_threshold else []
            side_parts, side_citations = compose(chosen, retrieved.document_text, first=len(citations) + 1)
            if not side_citations:
                note = no_evidence_note(side)
                parts.append(note)
                notes.append(note)
                continue
            parts.extend(side_parts)
            citations.extend(side_citations)
        yield from answer_events(question, retrieved, parts, citations, confidence, notes=notes)

    def _choose(self, own: list[Candidate], share: int, retrieved: Retrieval) -> list[Chosen]:
        """The side's best sentences that say different things (at most ``share``), in reading order."""
        chosen = self.extractive.select(own, retrieved.document_text)
        kept = {id(c) for c in sorted(chosen, key=lambda c: c.cand.score, reverse=True)[:share]}
        return [c for c in chosen if id(c) in kept]


class NamesAsideAnswerer:
    """The extractive answer to a question whose search the instruments it names already steered:
    its sentences are scored on the question without those names (``scored_as``), as a sentence
    of the named document need not repeat the document's name."""

    name = "extractive"

    def __init__(self, extractive: ExtractiveAnswerer, scored_as: str):
        self.extractive = extractive
        self.scored_as = scored_as

    def answer(self, question: str, retrieved: Retrieval) -> Answer:
        return answer_of(self.stream(question, retrieved))

    def stream(self, question: str, retrieved: Retrieval) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        cands, confidence = self.extractive.scored(self.scored_as, retrieved)
        yield from self.extractive.stream_scored(question, retrieved, cands, confidence)
