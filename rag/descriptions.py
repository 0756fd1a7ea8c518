"""Instruments a question describes instead of naming: "the December 2025 executive
order", "the US Action Plan", "G7's October 2023 code", "NIST", "US executive orders",
"state laws".

A description is a kind of instrument ("order", "code", "framework", "law", "report")
with the words before it that narrow it down: a jurisdiction ("US", "state"), a
publisher ("NIST", "G7"), a date ("December 2025", "2023") or words of the title
("the woke AI order"). A publisher's own short name on its own ("for NIST") describes
what it published. Every word must fit: a description that some word rules out
entirely describes nothing stored.

    descriptions = Descriptions.build(documents)      # (id, title, metadata) of each document
    for found in descriptions.find(question, taken):  # taken: spans already read as names
        found.document_ids, found.text                # one document, or a family of several
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Described", "Descriptions"]

# The kind words of a description and the document types they fit (the title holding the word fits too).
_KINDS: dict[str, frozenset[str]] = {
    "executive order": frozenset({"executive_order"}),
    "order": frozenset({"executive_order"}),
    "eo": frozenset({"executive_order"}),
    "memorandum": frozenset({"memorandum"}),
    "framework": frozenset({"framework", "standard"}),
    "code of conduct": frozenset({"code_of_conduct"}),
    "code": frozenset({"code_of_conduct"}),
    "principles": frozenset({"principles"}),
    "statement": frozenset({"statement"}),
    "resolution": frozenset({"resolution"}),
    "law": frozenset({"law"}),
    "act": frozenset({"law"}),
    "bill": frozenset({"law"}),
    "statute": frozenset({"law"}),
    "measures": frozenset({"regulation"}),
    "regulation": frozenset({"regulation", "law"}),
    "rules": frozenset({"regulation", "law"}),
    "guidelines": frozenset({"guidance"}),
    "guidance": frozenset({"guidance"}),
    "commitments": frozenset({"fact_sheet"}),
    "fact sheet": frozenset({"fact_sheet"}),
    "action plan": frozenset({"strategy"}),
    "plan": frozenset({"strategy"}),
    "strategy": frozenset({"strategy"}),
    "profile": frozenset({"standard"}),
    "standard": frozenset({"standard"}),
    "news report": frozenset({"news"}),
    "report": frozenset({"news"}),
    "policy paper": frozenset({"policy_paper"}),
    "white paper": frozenset({"policy_paper"}),
}
_KIND = re.compile(
    r"(?<![\w-])(?P<kind>" + "|".join(re.escape(k) for k in sorted(_KINDS, key=len, reverse=True)) + r")(?:s|es)?(?![\w-])"
)
_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
# Words that end a description when walking back from its kind word.
_STOP = frozenset(
    "the a an and or but nor with to of in on at by for from under than as vs versus how do does did is are was "
    "were what which who whom why when where can could should would will must may might that this these those "
    "their its his her compare compared between both each same like about into through over also then".split()
)
# Words that describe without narrowing ("the original framework", "the new order").
_IDLE = frozenset("new recent original latest first earlier later current own previous former proposed ai artificial "
                  "intelligence".split())
# Kind words that are also verbs, and the auxiliary before a description that makes them one.
_VERBS = frozenset({"plan", "order", "act", "report", "code", "rules", "regulation", "profile"})
_AUXILIARY = re.compile(r"\b(?:do|does|did|will|would|can|could|should|must|may|might)\s+(?:the\s+)?$")
_WORD = re.compile(r"[a-z0-9][a-z0-9'./-]*")


@dataclass(frozen=True)
class Described:
    document_ids: tuple[str, ...]
    text: str  # the words of the question that describe them
    start: int
    end: int
    kind: str | None  # the kind word ("order"); None for a publisher named on its own ("NIST")


@dataclass(frozen=True)
class _Doc:
    id: str
    doc_type: str
    jurisdiction: str
    date: str
    publishers: frozenset[str]  # short names of the publisher ("nist", "g7")
    words: frozenset[str]  # words of the title and the file name


class Descriptions:
    """The facts about stored documents a description is matched against."""

    def __init__(self, docs: list[_Doc], places: dict[str, str]):
        self.docs = docs
        self.places = places  # a word naming a jurisdiction -> its code
        counts: dict[str, int] = {}
        for doc in docs:
            for p in doc.publishers:
                counts[p] = counts.get(p, 0) + 1
        self.publishers = frozenset(counts)

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str, dict[str, Any]]], places: dict[str, str]) -> Descriptions:
        """``documents``: (id, title, metadata); ``places``: the words naming each jurisdiction code."""
        docs = []
        for doc_id, title, meta in documents:
            words = set(_WORD.findall(f"{title} {doc_id}".lower().replace("_", " ")))
            words |= {w.rstrip("s") for w in words}
            if "artificial" in words and "intelligence" in words:
                words.add("ai")
            docs.append(_Doc(
                doc_id,
                str(meta.get("doc_type") or "").lower(),
                str(meta.get("jurisdiction") or "").lower(),
                str(meta.get("date") or ""),
                _publisher_names(str(meta.get("publisher") or "")),
                frozenset(words),
            ))
        return cls(docs, places)

    def find(self, text: str, taken: list[tuple[int, int]]) -> list[Described]:
        """The descriptions in ``text`` (normalized: lower case, straight quotes) outside the
        ``taken`` spans, each with the stored documents it fits (at least one)."""
        found: list[Described] = []
        used: list[tuple[int, int]] = list(taken)
        for match in _KIND.finditer(text):
            kind = match.group("kind")
            start = self._describing_start(text, match.start())
            span = (start, match.end())
            if start == match.start() or _overlaps(span, used) or (kind in _VERBS and _AUXILIARY.search(text[:start])):
                continue  # "Does the UK plan binding rules?": a verb, not a kind of instrument
            fits = self._fitting(text[start:match.start()], kind)
            if fits:
                found.append(Described(fits, text[start:match.end()], *span, kind))
                used.append(span)
        for match in re.finditer(r"(?<![\w.-])([a-z0-9]{2,8})(?:'s)?(?![\w-])", text):
            word = match.group(1)
            if word not in self.publishers or _overlaps(match.span(), used) or _starts_name(text, match.end(), used):
                continue
            fits = tuple(d.id for d in self.docs if word in d.publishers)
            found.append(Described(fits, word, *match.span(), None))
            used.append(match.span())
        return sorted(found, key=lambda f: f.start)

    def _describing_start(self, text: str, at: int) -> int:
        """Where the words describing the kind word at ``at`` begin (``at`` when none do)."""
        start = at
        for word in reversed(list(re.finditer(r"[\w'./-]+|[^\w\s]", text[:at]))):
            token = word.group().removesuffix("'s")
            if not re.match(r"[\w]", token) or token in _STOP or text[word.end():start].strip():
                break
            start = word.start()
            if at - start > 60:
                break
        return start

    def _fitting(self, words: str, kind: str) -> tuple[str, ...]:
        """The documents of ``kind`` that every describing word fits (() when the words narrow nothing)."""
        candidates = [d for d in self.docs if d.doc_type in _KINDS[kind] or kind.rstrip("s") in d.words]
        tokens = [w.removesuffix("'s") for w in words.split()]
        narrowed = False
        i = 0
        while i < len(tokens):
            token = tokens[i]
            pair = " ".join(tokens[i:i + 2])
            if token in _MONTHS and i + 1 < len(tokens) and re.fullmatch(r"(19|20)\d\d", tokens[i + 1]):
                month = f"{tokens[i + 1]}-{_MONTHS[token]:02d}"
                candidates = [d for d in candidates if d.date.startswith(month)]
                i += 2
            elif token in _MONTHS:
                candidates = [d for d in candidates if d.date[5:7] == f"{_MONTHS[token]:02d}"]
                i += 1
            elif re.fullmatch(r"(19|20)\d\d", token):
                candidates = [d for d in candidates if d.date.startswith(token)]
                i += 1
            elif pair in self.places:
                candidates = [d for d in candidates if d.jurisdiction == self.places[pair]]
                i += 2
            elif token in self.places:
                candidates = [d for d in candidates if d.jurisdiction == self.places[token]]
                i += 1
            elif token in ("state", "states"):
                candidates = [d for d in candidates if d.jurisdiction.startswith("us-")]
                i += 1
            elif token in self.publishers:
                candidates = [d for d in candidates if token in d.publishers]
                i += 1
            elif token in _IDLE:
                i += 1
                continue
            else:
                candidates = [d for d in candidates if token in d.words or token.rstrip("s") in d.words]
                i += 1
            narrowed = True
        return tuple(d.id for d in candidates) if narrowed else ()


def _publisher_names(publisher: str) -> frozenset[str]:
    """Short names a publisher goes by: its initials ("National Institute of Standards and
    Technology" -> "nist") and its own short words in capitals ("G7")."""
    first = re.split(r"[;,(]", publisher)[0]
    words = [w for w in re.findall(r"[A-Za-z0-9]+", first) if w.lower() not in ("of", "and", "the", "for", "on")]
    names = {w.lower() for w in words if re.fullmatch(r"[A-Z][A-Z0-9]{1,5}|[A-Z]\d{1,2}", w) and any(c.isdigit() for c in w)}
    initials = "".join(w[0] for w in words if w[0].isupper())
    if 3 <= len(initials) <= 6 and len(words) >= 3:
        names.add(initials.lower())
    return frozenset(names)


def _overlaps(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in spans)


def _starts_name(text: str, end: int, spans: list[tuple[int, int]]) -> bool:
    """Whether a name already read begins right after ``end`` ("NIST's | generative AI profile")."""
    rest = len(text[end:]) - len(text[end:].lstrip())
    return any(s == end + rest for s, _ in spans)
