"""The checks around an answer: what the corpus knows about the documents (status,
names, provisions) decides whether to answer, refuse with a reason, flag the answer
or warn about what it cites. They wrap any answerer (``rag.answering``).

    grounding = Grounding(store, facts)
    decided = grounding.before(question, understood, passages)   # "Is EO 14110 still in force?",
                                                                 # "South Korea's AI Basic Act", "Article 250"
    if decided is None:
        decided = grounding.after(question, understood, answer, parts)   # value asked, premise, revoked sources
    answer, parts = decided
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from .abstention import (
    LOW_EVIDENCE,
    PREMISE_NOT_SUPPORTED,
    Refusal,
    missing_instrument,
    missing_provision,
    missing_value,
    premise_sentence,
    unsupported_concepts,
)
from .answering.direct import asked_kind, direct_answer
from .status import REVOKED, SUPERSEDED, Facts
from .status_answers import Cited, Order, answers_status, asks_about_status, status_answer, withdrawal_notes
from .store.documents import DocumentStore
from .types import Answer, Citation, Passage
from .understanding import Understood

Decided = tuple[Answer, list[str]]  # the answer and its sentences, as they are streamed


class Grounding:
    def __init__(self, store: DocumentStore, facts: Facts, order: Order | None = None):
        """``order``: which of a document's application dates a timing answer quotes first."""
        self.store = store
        self.facts = facts
        self.order = order
        self._lowered: dict[str, str] = {}

    def _text(self, document_id: str) -> str:
        if document_id not in self._lowered:
            self._lowered[document_id] = (self.store.text_of(document_id) or "").lower()
        return self._lowered[document_id]

    def _cited(self, parts: list[str], citations: list[Citation]) -> Cited:
        return Cited(self.store.section_at, self.facts.statuses, parts, citations)

    def before(self, question: str, understood: Understood, passages: list[Passage]) -> Decided | None:
        """The answer decided before any answerer runs: a question about named documents' status or
        dates, or a refusal for an instrument, jurisdiction or provision the corpus does not hold."""
        kind = asks_about_status(question)
        named = [self.facts.statuses[d] for d in understood.document_ids if d in self.facts.statuses]
        if kind is not None and answers_status(kind, named):
            cited = self._cited([], [])
            status_answer(kind, named, cited, self.order)
            answer = _answer(question, passages, cited.parts, cited.citations)
            if not (kind == "status" and any(d.status in (REVOKED, SUPERSEDED) for d in named)):
                # when a document was revoked is the catalogue's date, said in the answer: the quoted
                # revoking sentence names the order by its own date ("Executive Order 14110 of October 30, 2023")
                answer.direct_answer = direct_answer(asked_kind(question), cited.citations, question)
            return answer, cited.parts
        closest = [p.title for p in passages]
        refusal = missing_instrument(
            understood, self.facts.titles, self._corpus_mentions, self._document_mentions, closest
        ) or missing_provision(understood, self.facts.inventories, self.facts.titles)
        return _refused(question, passages, refusal) if refusal else None

    def after(self, question: str, understood: Understood, answer: Answer, parts: list[str]) -> Decided:
        """The answerer's answer with its flags (the kind of value asked for is not in it; the
        premise is not supported) and its warnings about revoked or superseded sources."""
        if answer.abstained:
            return replace(answer, abstain_reason=LOW_EVIDENCE), parts
        parts, flags, notes = list(parts), list(answer.flags), list(answer.notes)
        gap = missing_value(question, [c.quote for c in answer.citations])
        if gap is not None:
            flags.append(gap.reason)
            parts.insert(0, gap.message)
            notes.insert(0, gap.message)
        missing = unsupported_concepts(question, [self._text(d) for d in understood.document_ids])
        if missing:
            flags.append(PREMISE_NOT_SUPPORTED)
            titles = [self.facts.titles.get(d, d) for d in understood.document_ids]
            note = premise_sentence(missing, titles)
            parts.insert(0, note)
            notes.insert(0, note)
        citations = list(answer.citations)
        warnings = withdrawal_notes(answer.citations, self._cited(parts, citations))
        decided = replace(answer, answer=" ".join(parts), citations=citations, flags=flags, notes=notes,
                          warnings=[*answer.warnings, *warnings])
        return decided, parts

    def _corpus_mentions(self, phrase: str) -> bool:
        return self.store.document_frequencies([phrase]).get(phrase, 0) > 0

    def _document_mentions(self, document_id: str, words: Iterable[str]) -> bool:
        text = self._text(document_id)
        return any(f" {w} " in f" {text} " or f"{w}'" in text for w in words)


def _answer(question: str, passages: list[Passage], parts: list[str], citations: list[Citation]) -> Answer:
    return Answer(question=question, answer=" ".join(parts), abstained=False, citations=citations, passages=passages)


def _refused(question: str, passages: list[Passage], refusal: Refusal) -> Decided:
    answer = Answer(question=question, answer=refusal.message, abstained=True, citations=[], passages=passages,
                    abstain_reason=refusal.reason)
    return answer, [refusal.message]
