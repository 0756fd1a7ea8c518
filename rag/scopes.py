"""Which dated part of an instrument a timing question asks about.

"When do the AI Act's obligations for general-purpose AI models apply?" is answered by
"Chapter III Section 4, Chapter V, Chapter VII and Chapter XII and Article 78 shall apply
from 2 August 2025", not by the Act's general date: the scope of that sentence names
Chapter V, whose title is "General-purpose AI models". A scoped application date is read
with the titles of the provisions its scope names, and the one sharing the most words
with the question comes first; with none shared, the instrument's general date does.

    titles = ProvisionTitles(store)
    asked_part_first(question, status, titles.of(status.document_id))  # applications, best first
"""

from __future__ import annotations

import threading

from .status import Application, DocumentStatus
from .store.documents import DocumentStore
from .structure import find_headings, heading_titles, references
from .terms import base_form, drafting_words, query_terms

__all__ = ["ProvisionTitles", "asked_part_first"]

# words of any timing question, and words that name no part of an instrument
_TIMING_WORDS = frozenset(
    """when apply applies applied applying application applicable start starts begin begins take takes effect
    effective force enter enters entered kick date dates rules rule obligations obligation provisions provision
    part parts come comes into from since until ai artificial intelligence""".split()
)
# a question's word for what a provision's title calls otherwise, beside the legal words of
# everyday ones (``rag.terms.drafting_words``: "ban" for "prohibited")
_SAME_AS = {"gpai": "general-purpose", "fines": "penalties"}
_STEM = 5


class ProvisionTitles:
    """Each document's provision titles ("Chapter V" -> "General-purpose AI models"), read from its
    text once per version of the document."""

    def __init__(self, store: DocumentStore, keep: int = 32):
        self.store = store
        self.keep = keep
        self._cache: dict[tuple[str, str | None], dict[str, str]] = {}
        self._lock = threading.Lock()

    def of(self, document_id: str) -> dict[str, str]:
        key = (document_id, self.store.sha256_of(document_id))
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        text = self.store.text_of(document_id) or ""
        titles = heading_titles(text, find_headings(text))
        with self._lock:
            if len(self._cache) >= self.keep:
                self._cache.clear()
            self._cache[key] = titles
        return titles


def asked_part_first(question: str, status: DocumentStatus, titles: dict[str, str]) -> list[Application]:
    """``status``' application dates in the order an answer to ``question`` quotes them: the scoped one
    whose scope (with the titles of what it names) shares the most words with the question first, when
    one shares any; then the instrument as a whole; then the other parts by date."""
    plain = sorted(status.applications, key=lambda a: (a.scope is not None, a.date))
    asked = _stems(question) - _stems(status.title) - {w[:_STEM] for w in _TIMING_WORDS}
    if not asked:
        return plain
    shared = {id(a): len(asked & _stems(_scope_text(a, titles))) for a in plain if a.scope is not None}
    best = max(shared.values(), default=0)
    if best == 0:
        return plain
    return sorted(plain, key=lambda a: (-shared.get(id(a), 0), a.scope is not None, a.date))


def _scope_text(application: Application, titles: dict[str, str]) -> str:
    scope = application.scope or ""
    return " ".join([scope, *references(scope, titles)])


def _stems(text: str) -> set[str]:
    out = set()
    for word in query_terms(text):
        word = base_form(word)
        word = next(iter(drafting_words(word)), _SAME_AS.get(word, word))
        out.add(word[:_STEM])
    return out
