"""The checks around an extractive answer: what the corpus knows about the documents
(status, names, provisions) decides whether to answer, refuse with a reason, flag
the answer or warn about what it cites.

    grounding = Grounding(store, facts)
    reply = grounding.status_reply(question, understood)          # "Is EO 14110 still in force?"
    refusal = grounding.refusal(question, understood, passages, sentences)
    reply = grounding.finish(question, understood, parts, citations)   # flags and warnings
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .abstention import (
    PREMISE_NOT_SUPPORTED,
    Refusal,
    missing_instrument,
    missing_provision,
    missing_value,
    premise_sentence,
    unsupported_concepts,
)
from .status import Facts
from .status_answers import Cited, asks_about_status, status_answer, withdrawal_notes
from .store.documents import DocumentStore
from .types import Citation, Passage
from .understanding import Understood


@dataclass
class Reply:
    parts: list[str]
    citations: list[Citation]
    warnings: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)


class Grounding:
    def __init__(self, store: DocumentStore, facts: Facts):
        self.store = store
        self.facts = facts
        self._lowered: dict[str, str] = {}

    def _text(self, document_id: str) -> str:
        if document_id not in self._lowered:
            self._lowered[document_id] = (self.store.text_of(document_id) or "").lower()
        return self._lowered[document_id]

    def _locate(self, document_id: str, offset: int) -> tuple[str | None, int | None]:
        return self.store.section_at(document_id, offset)

    def _cited(self, parts: list[str], citations: list[Citation]) -> Cited:
        return Cited(self._locate, self.facts.statuses, parts, citations)

    def status_reply(self, question: str, understood: Understood) -> Reply | None:
        """The answer to a question about named documents' status or dates, or None."""
        kind = asks_about_status(question)
        named = [self.facts.statuses[d] for d in understood.document_ids if d in self.facts.statuses]
        if kind is None or not named:
            return None
        if kind == "timing" and not any(d.applications or d.withdrawn for d in named):
            return None  # nothing dated to quote: the ordinary answer may find it
        cited = self._cited([], [])
        status_answer(kind, named, cited)
        return Reply(cited.parts, cited.citations)

    def refusal(self, question: str, understood: Understood, passages: list[Passage], sentences: list[str]) -> Refusal | None:
        """Why the documents cannot answer, when a check shows it (None: no such reason)."""
        closest = [p.title for p in passages]
        return (
            missing_instrument(understood, self.facts.titles, self._corpus_mentions, self._document_mentions, closest)
            or missing_provision(understood, self.facts.inventories, self.facts.titles)
            or missing_value(question, sentences, closest)
        )

    def finish(self, question: str, understood: Understood, parts: list[str], citations: list[Citation]) -> Reply:
        """The answer with its premise flag and its warnings about revoked or superseded sources."""
        reply = Reply(list(parts), list(citations))
        named = understood.document_ids
        missing = unsupported_concepts(question, [self._text(d) for d in named])
        if missing:
            reply.flags.append(PREMISE_NOT_SUPPORTED)
            reply.parts.insert(0, premise_sentence(missing, [self.facts.titles.get(d, d) for d in named]))
        cited = self._cited(reply.parts, reply.citations)
        reply.warnings = withdrawal_notes(citations, cited)
        return reply

    def _corpus_mentions(self, phrase: str) -> bool:
        return self.store.document_frequencies([phrase]).get(phrase, 0) > 0

    def _document_mentions(self, document_id: str, words) -> bool:
        text = self._text(document_id)
        return any(f" {w} " in f" {text} " or f"{w}'" in text for w in words)
