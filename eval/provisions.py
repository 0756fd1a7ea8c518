"""Provision-level retrieval: is the right article or section among the top passages?

A user checking a legal answer first asks whether the service found the right
provision, whatever the exact sentences. A document's provisions are its
deepest headings (article, annex, recital, section, a Markdown heading), numbered
paragraphs aside, as the service's own structure parser finds them in the text.
A question has one gold provision when all its gold spans lie in the same one;
``provision_hit@k`` is 1 when a top-k passage touches that provision, 0 when none
does, and undefined (None) for a question whose gold spans several provisions or
none (text before any heading).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rag.structure import SectionIndex, find_headings

from .metrics import Span

PROVISION_KS = (1, 5)


class Provisions:
    """The provisions of documents, read from their text through ``text_of`` (once per document)."""

    def __init__(self, text_of: Callable[[str], str | None]):
        self._text_of = text_of
        self._indexes: dict[str, SectionIndex | None] = {}

    def _index(self, document_id: str) -> SectionIndex | None:
        if document_id not in self._indexes:
            text = self._text_of(document_id)
            headings = [h for h in find_headings(text) if h.kind != "paragraph"] if text else []
            self._indexes[document_id] = SectionIndex(text, headings) if headings and text else None
        return self._indexes[document_id]

    def touched(self, span: Span) -> set[tuple[str, str]]:
        """(document, provision path) of every provision that holds part of ``span``."""
        index = self._index(span.document_id)
        if index is None:
            return set()
        labels = (SectionIndex.label(path) for path in index.paths_within(span.start, span.end))
        return {(span.document_id, label) for label in labels if label}

    def scores(self, passages: Sequence[Span], gold: Sequence[Span]) -> dict[str, float | None]:
        """``provision_hit@k`` for each k of PROVISION_KS (None when the gold has no single provision)."""
        wanted = set().union(*(self.touched(g) for g in gold)) if gold else set()
        if len(wanted) != 1:
            return {f"provision_hit@{k}": None for k in PROVISION_KS}
        hits = [bool(self.touched(p) & wanted) for p in passages]
        return {f"provision_hit@{k}": float(any(hits[:k])) for k in PROVISION_KS}


__all__ = ["PROVISION_KS", "Provisions"]
