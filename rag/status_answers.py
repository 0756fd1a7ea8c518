"""Answers and warnings drawn from what is known about documents' status and dates.

* ``status_question``: "Is X still in force?", "Was EO 14110 revoked?", "When
  does the AI Act apply?" are answered from ``rag.status`` (the revoking
  sentence, the application article), each fact quoted and cited exactly.
* ``withdrawal_notes``: an answer citing a revoked or superseded document gets a
  warning and one sentence saying so, with the revoking sentence cited.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from .citations import display_quote
from .status import (
    NON_BINDING,
    NOT_YET_APPLICABLE,
    REVOKED,
    SUPERSEDED,
    Application,
    DocumentStatus,
    Evidence,
)
from .types import Citation

_STATUS_QUESTION = re.compile(
    r"\b(?:still\s+(?:in\s+force|in\s+effect|valid|applicable|apply|applies|law|current|binding|active|operative)|"
    r"in\s+force|revoked|revoke|rescinded|rescind|repealed|repeal|superseded|supersede|replaced|withdrawn|"
    r"no\s+longer|current(?:ly)?\s+(?:valid|law|in\s+effect)|legal\s+status|status\s+of|still\s+stand)\b",
    re.IGNORECASE,
)
_TIMING_QUESTION = re.compile(
    r"^\s*(?:is|are|was|were|do|does|has|have)\b.*\b(?:already|yet)\s+(?:applicable|apply|applies|in\s+effect|effective)\b|"
    r"\b(?:when|from\s+when|since\s+when|what\s+date|which\s+date|by\s+when)\b.*\b(?:apply|applies|applying|applicable|"
    r"take\s+effect|took\s+effect|come\s+into\s+(?:force|effect)|came\s+into\s+(?:force|effect)|enter\s+into\s+force|"
    r"entered\s+into\s+force|effective|start\s+to\s+apply|begin\s+to\s+apply|in\s+force|kick\s+in)\b",
    re.IGNORECASE,
)


def asks_about_status(question: str) -> str | None:
    """"status" (in force? revoked?), "timing" (when does it apply?) or None."""
    if _TIMING_QUESTION.search(question):
        return "timing"
    if _STATUS_QUESTION.search(question):
        return "status"
    return None


@dataclass
class Cited:
    """Answer sentences and their citations, numbered as they are added."""

    locate: Callable[[str, int], tuple[str | None, int | None]]  # (document id, offset) -> (section, page)
    statuses: dict[str, DocumentStatus]
    parts: list[str]
    citations: list[Citation]

    def cite(self, evidence: Evidence, lead: str = "") -> None:
        n = len(self.citations) + 1
        section, page = self.locate(evidence.document_id, evidence.start)
        known = self.statuses.get(evidence.document_id)
        self.citations.append(Citation(
            n=n, document_id=evidence.document_id, title=evidence.title, section=section, page=page,
            start=evidence.start, end=evidence.end, quote=evidence.quote, score=1.0,
            status=known.status if known else None, date=known.date if known else None,
        ))
        self.parts.append(f"{lead}{display_quote(evidence.quote)} [{n}]")


def answers_status(kind: str | None, documents: list[DocumentStatus]) -> bool:
    """Whether a question of ``kind`` (see ``asks_about_status``) naming ``documents`` is answered
    from their status and dates: any status question, a timing question when a date is known."""
    return kind is not None and bool(documents) and (
        kind == "status" or any(d.applications or d.withdrawn for d in documents))


Order = Callable[[DocumentStatus], list[Application]]  # a document's application dates, the one to quote first first


def _by_date(doc: DocumentStatus) -> list[Application]:
    """The instrument's general date first, then its parts' by date."""
    return sorted(doc.applications, key=lambda a: (a.scope is not None, a.date))


def _evidence_of(doc: DocumentStatus, order: Order | None = None) -> list[Evidence]:
    """The sentences a status answer about ``doc`` quotes: the revoking ones, else its dates
    (in ``order``: see ``rag.scopes.asked_part_first``)."""
    if doc.status in (REVOKED, SUPERSEDED):
        return list(doc.evidence[:2])
    return [a.evidence for a in (order or _by_date)(doc)[:5]]


def status_evidence(kind: str | None, documents: list[DocumentStatus], order: Order | None = None) -> list[Evidence]:
    """The sentences the status answer to a question of ``kind`` about ``documents`` cites
    ([] when the question is not answered that way): the passages to show with it."""
    if not answers_status(kind, documents):
        return []
    return [evidence for doc in documents for evidence in _evidence_of(doc, order)]


def status_answer(kind: str, documents: list[DocumentStatus], cited: Cited, order: Order | None = None) -> None:
    """Fill ``cited`` with the answer about ``documents``' status ("status") or dates ("timing")."""
    for doc in documents:
        if doc.status in (REVOKED, SUPERSEDED):
            cited.parts.append(_withdrawn_sentence(doc))
        elif kind == "status":
            cited.parts.append(_current_sentence(doc))
        elif not doc.applications:
            cited.parts.append(_undated_sentence(doc))
        for evidence in _evidence_of(doc, order):
            cited.cite(evidence)


def _withdrawn_sentence(doc: DocumentStatus) -> str:
    verb = "was revoked" if doc.status == REVOKED else "was superseded"
    details = []
    if doc.revoked_on:
        details.append(f"on {doc.revoked_on}")
    by = doc.revoked_by if doc.status == REVOKED else doc.superseded_by
    if by:
        details.append(f"by {by}")
    source = {"catalogue": "as the catalogue records", "text": "as a document in the corpus states"}.get(doc.basis or "")
    tail = (" " + " ".join(details)) if details else ""
    said = f", {source}" if source else ""
    return f"{doc.title} {verb}{tail}{said}; it is no longer in force."


def _current_sentence(doc: DocumentStatus) -> str:
    if doc.status == NON_BINDING:
        state = "is non-binding: it is not law, and no document in the corpus revokes or replaces it"
    elif doc.status == NOT_YET_APPLICABLE:
        state = f"is adopted but not yet applicable (it applies from {doc.applies_from or doc.effective_from})"
    elif doc.status is None:
        state = "has no recorded status; no document in the corpus revokes or supersedes it"
    else:
        state = f"is {doc.status}; no document in the corpus revokes or supersedes it"
        if doc.effective_from:
            state += f" (in force since {doc.effective_from})"
    return f"{doc.title} {state}."


def _undated_sentence(doc: DocumentStatus) -> str:
    if doc.effective_from:
        return f"{doc.title} has applied since {doc.effective_from}, as the catalogue records."
    if doc.date:
        return f"{doc.title} is dated {doc.date}; its text states no later application date."
    return f"The corpus does not state when {doc.title} applies."


def withdrawal_notes(citations: list[Citation], cited: Cited) -> list[str]:
    """Warnings for cited documents that are revoked or superseded; one answer sentence per
    document (added to ``cited``), with the revoking sentence cited when the corpus has it."""
    warnings = []
    seen: set[str] = set()
    for citation in citations:
        doc = cited.statuses.get(citation.document_id)
        if doc is None or not doc.withdrawn or doc.document_id in seen:
            continue
        seen.add(doc.document_id)
        markers = ", ".join(f"[{c.n}]" for c in citations if c.document_id == doc.document_id)
        verb = "revoked" if doc.status == REVOKED else "superseded"
        when = f" on {doc.revoked_on}" if doc.revoked_on else ""
        by = doc.revoked_by if doc.status == REVOKED else doc.superseded_by
        by_text = f" by {by}" if by else ""
        warnings.append(f"{doc.title} ({doc.document_id}) was {verb}{when}{by_text}; cited as {markers}.")
        lead = f"Note: {markers} {'quotes' if ',' not in markers else 'quote'} {doc.title}, which was {verb}{when}{by_text}"
        if doc.evidence:
            cited.cite(doc.evidence[0], lead=f"{lead}: ")
        else:
            cited.parts.append(lead + ".")
    return warnings
