"""The status and dates of every stored document, from three sources.

1. What was given with the document: ``catalog.json``, a ``.meta.json`` sidecar
   or upload metadata (keys ``status``, ``date``, ``effective_from``,
   ``revoked_on``, ``revoked_by``, ``superseded_by``).
2. What other documents say about it: a stored order that states "Executive
   Order 14141 ... is hereby revoked" or calls it "the revoked Executive Order
   14110" marks it revoked, with that sentence kept as an exact citation.
3. What its own text says about when it applies ("It shall apply from 2 August
   2026", "Chapters I and II shall apply from 2 February 2025").

Statements are extracted from each document's text once per content version
(``rag.statements``) and kept in the document database; the derived status is
recomputed from all of them whenever the set of documents changes, so a
revocation found in a newly added document marks an older one, and deleting
the revoking document takes the mark away.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .errors import InvalidInput
from .statements import (
    APPLIES_FROM,
    IN_FORCE_FROM,
    REFERS_REVOKED,
    REVOKES,
    STATEMENTS_VERSION,
    SUPERSEDES,
    Reference,
    Statement,
    find_statements,
)
from .store.documents import DocumentStore
from .understanding import Lexicon, provision_inventory

IN_FORCE = "in force"
REVOKED = "revoked"
SUPERSEDED = "superseded"
NOT_YET_APPLICABLE = "not yet applicable"
NON_BINDING = "non-binding"
PROPOSAL = "proposal"
STATUSES = (IN_FORCE, REVOKED, SUPERSEDED, NOT_YET_APPLICABLE, NON_BINDING, PROPOSAL)
NOT_CURRENT = frozenset({REVOKED, SUPERSEDED, NOT_YET_APPLICABLE, PROPOSAL})

# What a document type says when nothing else does.
_BINDING_TYPES = frozenset({"law", "regulation", "executive_order", "memorandum", "directive", "act", "statute", "decree"})
_NON_BINDING_TYPES = frozenset({
    "guidance", "standard", "strategy", "fact_sheet", "code_of_conduct", "principles", "statement", "resolution",
    "policy_paper", "news", "report", "white_paper", "recommendation", "declaration",
})
_PROPOSAL_TYPES = frozenset({"bill", "proposal", "draft"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS statements (
    document_id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Evidence:
    """An exact citation of the sentence behind a status fact: ``quote == text[start:end]``."""

    document_id: str
    title: str
    start: int
    end: int
    quote: str


@dataclass(frozen=True)
class Application:
    """(Part of) an instrument applies, or enters into force, from ``date``."""

    date: str
    scope: str | None  # None: the instrument as a whole
    kind: str  # applies_from | in_force_from
    evidence: Evidence


@dataclass(frozen=True)
class DocumentStatus:
    document_id: str
    title: str
    status: str | None
    basis: str | None  # catalogue or given metadata | text | document type
    date: str | None = None
    effective_from: str | None = None
    revoked_on: str | None = None
    revoked_by: str | None = None
    superseded_by: str | None = None
    revoked_no_later_than: str | None = None  # the date of a document that calls it revoked
    evidence: tuple[Evidence, ...] = ()  # sentences of other documents revoking or superseding it
    applications: tuple[Application, ...] = ()

    @property
    def withdrawn(self) -> bool:
        return self.status in (REVOKED, SUPERSEDED)

    def withdrawn_on_or_before(self, day: str) -> bool:
        """Whether it is known to have been revoked or superseded by ``day``."""
        if not self.withdrawn:
            return False
        known = self.revoked_on or self.revoked_no_later_than
        return known is not None and known <= day

    def status_on(self, day: str) -> str | None:
        """Its status on ``day`` (ISO date), as far as the corpus tells."""
        if self.date and self.date > day:
            return None  # it did not exist yet
        if self.withdrawn_on_or_before(day):
            return self.status
        if self.status in (NON_BINDING, PROPOSAL):
            return self.status
        if self.status is None:
            return None
        start = self.applies_from or self.effective_from
        if start and start > day:
            return NOT_YET_APPLICABLE
        return IN_FORCE

    @property
    def applies_from(self) -> str | None:
        """The date the instrument as a whole applies from, as its text states it."""
        whole = [a.date for a in self.applications if a.scope is None and a.kind == APPLIES_FROM]
        if whole:
            return min(whole)
        staged = {a.date for a in self.applications if a.kind == APPLIES_FROM}
        if len(staged) == 1:
            return staged.pop()
        return next((a.date for a in self.applications if a.kind == IN_FORCE_FROM and a.scope is None), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "status_basis": self.basis,
            "date": self.date,
            "effective_from": self.effective_from,
            "applies_from": self.applies_from,
            "revoked_on": self.revoked_on,
            "revoked_by": self.revoked_by,
            "superseded_by": self.superseded_by,
            "status_evidence": [_evidence_dict(e) for e in self.evidence],
            "applications": [
                {"date": a.date, "scope": a.scope, "kind": a.kind, "evidence": _evidence_dict(a.evidence)}
                for a in self.applications
            ],
        }


def _evidence_dict(e: Evidence) -> dict[str, Any]:
    return {"document_id": e.document_id, "title": e.title, "start": e.start, "end": e.end, "quote": e.quote}


@dataclass
class _Doc:
    id: str
    title: str
    metadata: dict[str, Any]
    statements: list[Statement] = field(default_factory=list)
    texts: dict[tuple[int, int], str] = field(default_factory=dict)  # quoted spans

    @property
    def date(self) -> str | None:
        value = str(self.metadata.get("date") or "")[:10]
        return value if _DATE.match(value) else None


def derive(docs: Iterable[_Doc], today: str) -> dict[str, DocumentStatus]:
    """Every document's status from its metadata, its own statements and the others' statements."""
    docs = list(docs)
    marks: dict[str, list[tuple[str, Evidence, _Doc]]] = {}
    for source in docs:
        for st in source.statements:
            if st.target is None:
                continue
            for target in _matches(st.target, docs, source):
                quote = source.texts[(st.start, st.end)]
                marks.setdefault(target.id, []).append((st.kind, Evidence(source.id, source.title, st.start, st.end, quote), source))
    return {d.id: _status_of(d, marks.get(d.id, []), today) for d in docs}


def _status_of(doc: _Doc, marks: list[tuple[str, Evidence, _Doc]], today: str) -> DocumentStatus:
    meta = doc.metadata
    given = str(meta.get("status") or "").strip().lower() or None
    given = given if given in STATUSES else None
    applications = tuple(
        Application(st.date, st.scope, st.kind, Evidence(doc.id, doc.title, st.start, st.end, doc.texts[(st.start, st.end)]))
        for st in doc.statements if st.kind in (APPLIES_FROM, IN_FORCE_FROM) and st.date
    )
    revokers = [(e, s) for kind, e, s in marks if kind == REVOKES]
    mentions = [(e, s) for kind, e, s in marks if kind == REFERS_REVOKED]
    superseders = [(e, s) for kind, e, s in marks if kind == SUPERSEDES]
    revoked_by = _text(meta.get("revoked_by")) or (revokers[0][1].title if revokers else None)
    superseded_by = _text(meta.get("superseded_by")) or (superseders[0][1].title if superseders else None)
    revoked_on = _day(meta.get("revoked_on")) or (revokers[0][1].date if revokers else None)
    if not revoked_on and superseders and not (revokers or mentions):
        revoked_on = superseders[0][1].date
    later = [s.date for _, s in mentions if s.date]
    status: str | None
    basis: str | None
    if given in (REVOKED, SUPERSEDED):
        status, basis = given, "catalogue"
    elif revokers or mentions:
        status, basis = REVOKED, "text"
    elif superseders:
        status, basis = SUPERSEDED, "text"
    elif meta.get("revoked_by") or meta.get("revoked_on"):
        status, basis = REVOKED, "catalogue"
    elif meta.get("superseded_by"):
        status, basis = SUPERSEDED, "catalogue"
    elif given:
        status, basis = given, "catalogue"
    else:
        kind = str(meta.get("doc_type") or "").lower()
        status = IN_FORCE if kind in _BINDING_TYPES else NON_BINDING if kind in _NON_BINDING_TYPES else (
            PROPOSAL if kind in _PROPOSAL_TYPES else None)
        basis = "document type" if status else None
    result = DocumentStatus(
        document_id=doc.id,
        title=doc.title,
        status=status,
        basis=basis,
        date=doc.date,
        effective_from=_day(meta.get("effective_from")),
        revoked_on=revoked_on,
        revoked_by=revoked_by,
        superseded_by=superseded_by,
        revoked_no_later_than=min(later) if later else None,
        evidence=tuple(e for e, _ in (*revokers, *superseders, *mentions)),
        applications=applications,
    )
    if status in (IN_FORCE, NOT_YET_APPLICABLE):  # time moves on: recompute against today
        result = replace(result, status=result.status_on(today) or status)
    return result


def _matches(ref: Reference, docs: list[_Doc], source: _Doc) -> list[_Doc]:
    """The stored documents a reference names: by number, else by its parenthesized title."""
    others = [d for d in docs if d.id != source.id]
    if ref.number:
        pattern = re.compile(rf"(?<![\d/]){re.escape(ref.number)}(?![\d/])")
        by_number = [d for d in others if pattern.search(d.title) or pattern.search(str(d.metadata.get("number") or ""))
                     or pattern.search(" ".join(str(a) for a in _aliases(d)))]
        if by_number:
            return by_number
    if ref.title:
        wanted = _words(ref.title)
        if len(wanted) >= 3:
            found = [d for d in others if len(wanted & _words(d.title)) >= 0.8 * len(wanted)
                     and (ref.date is None or d.date is None or d.date == ref.date)]
            if len(found) == 1:
                return found
    return []


def _aliases(doc: _Doc) -> list[str]:
    value = doc.metadata.get("aliases") or []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


_STOP = frozenset(["a", "an", "and", "the", "of", "for", "in", "on", "to", "by", "with", "order", "executive"])


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


def _text(value: Any) -> str | None:
    return str(value).strip() if value not in (None, "") else None


def _day(value: Any) -> str | None:
    text = str(value or "")[:10]
    return text if _DATE.match(text) else None


def today_iso() -> str:
    return dt.date.today().isoformat()


@dataclass(frozen=True)
class Facts:
    """What is known about the stored documents as a whole, rebuilt when they change."""

    statuses: dict[str, DocumentStatus]
    lexicon: Lexicon  # the names the documents go by (rag.understanding)
    inventories: dict[str, dict[str, frozenset[str]]]  # provision numbers each document has
    titles: dict[str, str]


@dataclass(frozen=True)
class _Parsed:
    sha256: str
    statements: list[Statement]
    texts: dict[tuple[int, int], str]
    inventory: dict[str, frozenset[str]]


class StatusBook:
    """The derived status of every stored document, kept in line with the store.

    ``refresh()`` brings the stored statements up to date (extracting them from
    documents added or changed since) and recomputes every status when the
    store's document counter has moved (a write by this process or another);
    every request calls it, so it also tells the store to drop what it kept in
    memory when another process has written (``DocumentStore.sync``)."""

    def __init__(self, store: DocumentStore):
        self.store = store
        self._lock = threading.Lock()
        self._version: int | None = None
        self._day: str | None = None
        self._facts = Facts({}, Lexicon.build([]), {}, {})
        self._parsed: dict[str, _Parsed] = {}
        with store.connection() as db:
            db.executescript(_SCHEMA)

    def refresh(self, today: str | None = None) -> Facts:
        today = today or today_iso()
        with self._lock:
            version = self.store.sync().documents  # bumped by every change to a document row, in any process
            if version == self._version and today == self._day:
                return self._facts
            docs, inventories = self._load()
            self._facts = Facts(
                statuses=derive(docs, today),
                lexicon=Lexicon.build((d.id, d.title, d.metadata) for d in docs),
                inventories=inventories,
                titles={d.id: d.title for d in docs},
            )
            self._version, self._day = version, today
            return self._facts

    def _load(self) -> tuple[list[_Doc], dict[str, dict[str, frozenset[str]]]]:
        with self.store.connection() as db:
            rows = db.execute(
                "SELECT d.id, d.title, d.sha256, d.metadata, s.sha256 AS seen, s.version, s.body "
                "FROM documents d LEFT JOIN statements s ON s.document_id = d.id ORDER BY d.id"
            ).fetchall()
        docs = []
        inventories = {}
        kept: dict[str, _Parsed] = {}
        for row in rows:
            parsed = self._parsed.get(row["id"])
            if parsed is None or parsed.sha256 != row["sha256"]:
                parsed = self._parse(row)
            kept[row["id"]] = parsed
            docs.append(_Doc(row["id"], row["title"], json.loads(row["metadata"]), parsed.statements, parsed.texts))
            inventories[row["id"]] = parsed.inventory
        self._parsed = kept  # a deleted document's entry goes with it
        return docs, inventories

    def _parse(self, row) -> _Parsed:
        """What a document version's text gives (read once per version: a change to one
        document does not re-read the others)."""
        text = self.store.text_of(row["id"]) or ""
        if row["seen"] == row["sha256"] and row["version"] == STATEMENTS_VERSION:
            statements = [Statement.from_json(s) for s in json.loads(row["body"])]
        else:
            statements = find_statements(text)
            self._save(row["id"], row["sha256"], statements)
        texts = {(st.start, st.end): text[st.start:st.end] for st in statements}
        return _Parsed(row["sha256"], statements, texts, provision_inventory(text))

    def _save(self, document_id: str, sha: str, statements: list[Statement]) -> None:
        body = json.dumps([s.to_json() for s in statements], ensure_ascii=False)
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM documents WHERE id = ? AND sha256 = ?", (document_id, sha)).fetchone():
                db.execute(
                    "INSERT OR REPLACE INTO statements(document_id, sha256, version, body) VALUES (?,?,?,?)",
                    (document_id, sha, STATEMENTS_VERSION, body),
                )

    def get(self, document_id: str) -> DocumentStatus | None:
        return self.refresh().statuses.get(document_id)

    def all(self) -> dict[str, DocumentStatus]:
        return self.refresh().statuses


def keep(status: DocumentStatus | None, in_force: bool | None, as_of: str | None) -> bool:
    """Whether a document passes the ``in_force`` and ``as_of`` filters.

    ``as_of``: documents dated after it, or revoked or superseded on or before it, are left out.
    ``in_force: true``: only documents current on ``as_of`` (default today): never a revoked,
    superseded or not-yet-applicable document, nor a proposal. ``in_force: false``: only those."""
    day = as_of or today_iso()
    if status is None:  # not stored (yet)
        return in_force is not True
    if as_of is not None:
        if status.date and status.date > as_of:
            return False
        if status.withdrawn_on_or_before(as_of):
            return False
    if in_force is None:
        return True
    current = status.status_on(day)
    is_current = current is not None and current not in NOT_CURRENT
    if status.withdrawn and not (status.revoked_on or status.revoked_no_later_than):
        is_current = False  # revoked at a date the corpus does not give: never current
    return is_current == in_force


def resolve_status_filters(filters: Any, statuses: dict[str, DocumentStatus]) -> Any:
    """``filters`` with ``in_force`` and ``as_of`` turned into the ``document_ids`` that pass them
    (other keys untouched); a malformed value raises ``InvalidInput``."""
    if not isinstance(filters, dict) or ("in_force" not in filters and "as_of" not in filters):
        return filters
    rules = dict(filters)
    in_force = rules.pop("in_force", None)
    as_of = rules.pop("as_of", None)
    if in_force is not None and not isinstance(in_force, bool):
        raise InvalidInput(f"filter in_force must be true or false, not {in_force!r}")
    if as_of is not None and (not isinstance(as_of, str) or not _DATE.match(as_of) or _day_or_none(as_of) is None):
        raise InvalidInput(f"filter as_of must be a date written YYYY-MM-DD, not {as_of!r}")
    ids = [doc_id for doc_id, status in sorted(statuses.items()) if keep(status, in_force, as_of)]
    given = rules.get("document_ids")
    if given is not None:
        wanted = {given} if isinstance(given, str) else set(given) if isinstance(given, list) else None
        if wanted is None:
            raise InvalidInput("filter document_ids must be a list of document ids")
        ids = [i for i in ids if i in wanted]
    rules["document_ids"] = ids
    return rules


def _day_or_none(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None
