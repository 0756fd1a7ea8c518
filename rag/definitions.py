"""Which chunks define which terms, for questions that ask how a text defines one.

    definitions = DefinitionMap(store)
    definitions.defining("How does the AI Act define an 'AI system'?", ["eu__..."])
    # ["eu__...:v:12"]: the chunk holding "'AI system' means ..."

The chunker records the term each definition defines; the lexical index holds it
beside the chunk's section path ("Chapter I > Article 3 | definition of AI system").
Of the terms a document defines, the longest one the question uses wins, so "AI
system" does not bring up the definition of "withdrawal of an AI system", and
"general-purpose AI model" wins over "AI model".
"""

from __future__ import annotations

import re

from .store.derived import Derived
from .store.documents import DocumentStore

__all__ = ["DefinitionMap", "term_form"]

_DEFINES = re.compile(r"definition of ([^;|]+)")


def term_form(text: str) -> str:
    """A term or a question in the form terms are compared in: lower case, without quotes,
    "artificial intelligence" written "ai"."""
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"['\"]", " ", text.replace("'s ", " "))
    text = re.sub(r"\bartificial intelligence\b", "ai", text)
    return " ".join(text.split())


class DefinitionMap:
    """The defined terms of every stored document, read again whenever the documents change."""

    def __init__(self, store: DocumentStore):
        self.store = store
        # document id -> term -> chunk ids, in reading order
        self._terms: Derived[dict[str, dict[str, list[str]]]] = Derived(store, self._read, {})

    def _index(self) -> dict[str, dict[str, list[str]]]:
        return self._terms.get()

    def _read(self) -> dict[str, dict[str, list[str]]]:
        terms: dict[str, dict[str, list[str]]] = {}
        with self.store.connection() as db:
            rows = db.execute(
                "SELECT c.id AS id, c.document_id AS document_id, f.section AS context FROM chunks c "
                "JOIN chunks_fts f ON f.rowid = c.rowid WHERE f.section LIKE '%definition of %' ORDER BY c.ordinal"
            ).fetchall()
        for row in rows:
            for term in _DEFINES.findall(row["context"] or ""):
                key = term_form(term)
                if len(key) >= 3:
                    terms.setdefault(row["document_id"], {}).setdefault(key, []).append(row["id"])
        return terms

    def defining(self, question: str, documents: list[str] | None, per_document: int = 2) -> list[str]:
        """The chunks defining the longest term of each document (of ``documents``; None: all)
        that ``question`` uses, at most ``per_document`` of each."""
        text = term_form(question)
        out: list[str] = []
        for document_id, terms in self._index().items():
            if documents is not None and document_id not in documents:
                continue
            used = [t for t in terms if re.search(rf"(?<![\w-]){re.escape(t)}(?:s|es)?(?![\w-])", text)]
            if used:
                out.extend(terms[max(used, key=len)][:per_document])
        return out
