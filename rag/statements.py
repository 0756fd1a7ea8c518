"""What a document's own text says about the status and timing of instruments.

Pure functions over a document's normalized text. They find:

* revocations and supersessions: "Executive Order 14141 of January 14, 2025
  (...) is hereby revoked", "This order revokes Executive Order 14110",
  "the revoked Executive Order 14110", "... is superseded by ...";
* application and entry-into-force dates stated as dates: "It shall apply from
  2 August 2026", "Chapters I and II shall apply from 2 February 2025",
  "These measures shall come into effect on August 15, 2023",
  "ON AND AFTER FEBRUARY 1, 2026".

Each statement keeps the exact span of its sentence, so it can be cited
(``text[start:end]`` is the quote). Which document a revocation points at is
decided later, against the documents stored (``rag.status``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass

# Bump when what is extracted changes: stored statements of an older version are recomputed.
STATEMENTS_VERSION = 1

REVOKES = "revokes"  # this document revokes the target
SUPERSEDES = "supersedes"  # this document supersedes the target
REFERS_REVOKED = "refers_revoked"  # this document calls the target revoked
APPLIES_FROM = "applies_from"  # (part of) this document applies from a date
IN_FORCE_FROM = "in_force_from"  # this document enters into force / takes effect on a date


@dataclass(frozen=True)
class Reference:
    """An instrument named in a sentence."""

    text: str
    number: str | None = None  # executive order number, or "2024/1689"-style number
    title: str | None = None  # the title given in parentheses
    date: str | None = None  # the instrument's own date, ISO ("of October 30, 2023")


@dataclass(frozen=True)
class Statement:
    kind: str
    start: int  # the sentence in the stating document, end exclusive
    end: int
    target: Reference | None = None  # for revocations and supersessions
    date: str | None = None  # for application dates, ISO
    scope: str | None = None  # the part that applies from ``date``; None: the instrument as a whole

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Statement:
        target = data.get("target")
        return cls(**{**data, "target": Reference(**target) if target else None})


_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"], start=1)}
_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_DATE = rf"(?:\d{{1,2}}\s+{_MONTH}\s+\d{{4}}|{_MONTH}\s+\d{{1,2}},\s*\d{{4}})"

_EO = re.compile(
    rf"(?:Executive\s+Order|E\.\s?O\.|\bEO)\s+(?:No\.\s*)?(?P<number>\d{{5}})"
    rf"(?:\s+of\s+(?P<date>{_DATE}))?(?:,?\s*\((?P<title>[^()]{{8,240}})\))?",
    re.IGNORECASE,
)
_EU_ACT = re.compile(
    r"(?:Regulation|Directive|Decision)\s+(?:\((?:EU|EC|EEC|Euratom)\)\s+)?(?:No\s+)?(?P<number>\d{2,4}/\d{1,4})"
    r"(?:/(?:EU|EC|EEC|JHA))?",
)
_VERB = r"(revoked|rescinded|repealed|superseded)"
_PASSIVE = re.compile(rf"\b(?P<aux>is|are|shall\s+be|was|were|has\s+been|have\s+been)\s+(?:hereby\s+)?{_VERB}\b", re.IGNORECASE)
_ACTIVE = re.compile(r"\b(?:hereby\s+)?(?P<verb>revokes?|rescinds?|repeals?|supersedes?)\b", re.IGNORECASE)
_MODAL_BEFORE = re.compile(r"\b(?:may|shall|can|could|will|would|to|not|should|must)\s+(?:hereby\s+)?$", re.IGNORECASE)
_ADJECTIVE = re.compile(rf"\b(?:the\s+)?(?:now[- ])?{_VERB}\s+$", re.IGNORECASE)
_APPLIES = re.compile(
    rf"\b(?:shall|will|to)\s+(?P<verb>apply|take\s+effect|come\s+into\s+effect|enter\s+into\s+force|"
    rf"become\s+(?:effective|operative))\s+(?:from|on|as\s+of|with\s+effect\s+from)\s+(?P<date>{_DATE})",
    re.IGNORECASE,
)
_TAKES_EFFECT = re.compile(
    rf"\b(?P<verb>takes\s+effect|comes\s+into\s+effect|enters\s+into\s+force|is\s+effective)\s+(?:from|on|as\s+of)\s+(?P<date>{_DATE})",
    re.IGNORECASE,
)
_ON_AND_AFTER = re.compile(rf"\bON\s+AND\s+AFTER\s+(?P<date>{_DATE})", re.IGNORECASE)
_WHOLE = re.compile(r"^(?:it|this\s+(?:regulation|act|order|directive|law|memorandum|section)|these\s+measures|the\s+measures)$", re.IGNORECASE)
_ABBREVIATION = re.compile(
    r"(?:\b(?:Sec|No|Nos|Art|Arts|para|U\.S|E\.O|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Mr|Ms|Dr|St|"
    r"i\.e|e\.g|etc|Inc|Co|cf|vs)|\b[A-Z])$"
)
_MARKUP = re.compile(r"(?:\s+|<[^>]*>|[-*•]\s|\(?[A-Za-z0-9]{1,4}\)\s)+")
_MAX_SENTENCE = 800


def find_statements(text: str) -> list[Statement]:
    """Every revocation, supersession and application date ``text`` states, in text order
    (a fact stated several times is kept where it is first stated)."""
    found: dict[tuple, Statement] = {}
    for statement in sorted((*_relations(text), *_applications(text)), key=lambda s: s.start):
        found.setdefault((statement.kind, statement.target, statement.date, statement.scope), statement)
    return sorted(found.values(), key=lambda s: (s.start, s.kind))


def iso_date(text: str) -> str | None:
    """"2 August 2026", "August 2, 2026", "FEBRUARY 1,2026" -> "2026-08-02"; None when not a date."""
    words = re.findall(r"[A-Za-z]+|\d+", text)
    month = next((_MONTHS[w.lower()] for w in words if w.lower() in _MONTHS), None)
    numbers = [int(w) for w in words if w.isdigit()]
    year = next((n for n in numbers if n > 1000), None)
    day = next((n for n in numbers if n <= 31), None)
    if month is None or year is None or day is None:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def sentence_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``text[start:end]``: from after the previous sentence end (or a
    blank line) to the next one, without leading whitespace, markup or list labels."""
    lo = max(0, start - _MAX_SENTENCE)
    begin = lo
    for match in re.finditer(r"[.;:!?](?=\s|<)|\n\s*\n", text[lo:start]):
        if match.group().strip() and _ABBREVIATION.search(text[lo:lo + match.start()]):
            continue
        begin = lo + match.end()
    stop = min(len(text), end + _MAX_SENTENCE)
    finish = stop
    for match in re.finditer(r"[.;!?](?=\s|$)|\n\s*\n", text[end:stop]):
        if match.group().strip() and _ABBREVIATION.search(text[:end + match.start()]):
            continue
        finish = end + (match.end() if match.group().strip() else match.start())
        break
    while True:
        skip = _MARKUP.match(text, begin)
        if not skip or skip.end() == begin or skip.end() >= finish:
            break
        begin = skip.end()
    return begin, finish


def references(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, Reference]]:
    """Instruments named in ``text[start:end]`` with their spans."""
    end = len(text) if end is None else end
    out = []
    for match in _EO.finditer(text, start, end):
        title = " ".join(match.group("title").split()) if match.group("title") else None
        date = iso_date(match.group("date")) if match.group("date") else None
        out.append((match.start(), match.end(), Reference(" ".join(match.group().split()), match.group("number"), title, date)))
    for match in _EU_ACT.finditer(text, start, end):
        out.append((match.start(), match.end(), Reference(" ".join(match.group().split()), match.group("number"))))
    return sorted(out, key=lambda r: r[0])


def _relations(text: str) -> list[Statement]:
    out = []
    for match in _PASSIVE.finditer(text):
        begin, finish = sentence_span(text, match.start(), match.end())
        named = [r for r in references(text, begin, match.start())]
        if not named:
            continue
        target = named[-1][2]
        verb = match.group(2).lower()
        past = match.group("aux").lower() in ("was", "were", "has been", "have been")
        if verb == "superseded":
            kind = SUPERSEDES
        else:
            kind = REFERS_REVOKED if past else REVOKES
        out.append(Statement(kind, begin, finish, target))
    for match in _ACTIVE.finditer(text):
        if _MODAL_BEFORE.search(text[max(0, match.start() - 30):match.start()]):
            continue
        begin, finish = sentence_span(text, match.start(), match.end())
        after = [r for r in references(text, match.end(), min(finish, match.end() + 120))]
        if not after:
            continue
        kind = SUPERSEDES if match.group("verb").lower().startswith("supersede") else REVOKES
        out.extend(Statement(kind, begin, finish, ref) for _, _, ref in after[:3])
    for ref_start, _, ref in references(text):
        adjective = _ADJECTIVE.search(text[max(0, ref_start - 30):ref_start])
        if adjective:
            begin, finish = sentence_span(text, ref_start, ref_start + 1)
            kind = SUPERSEDES if adjective.group(1).lower() == "superseded" else REFERS_REVOKED
            out.append(Statement(kind, begin, finish, ref))
    return out


def _applications(text: str) -> list[Statement]:
    out = []
    for pattern in (_APPLIES, _TAKES_EFFECT):
        for match in pattern.finditer(text):
            date = iso_date(match.group("date"))
            if date is None:
                continue
            begin, finish = sentence_span(text, match.start(), match.end())
            subject = " ".join(re.sub(r"<[^>]*>", " ", text[begin:match.start()]).split()).strip(" ,;:")
            subject = re.sub(r"^(?:however|and|but),?\s+", "", subject, flags=re.IGNORECASE)
            verb = " ".join(match.group("verb").lower().split())
            kind = IN_FORCE_FROM if "force" in verb or "effect" in verb else APPLIES_FROM
            scope = None if not subject or _WHOLE.match(subject) else subject[:200]
            out.append(Statement(kind, begin, finish, date=date, scope=scope))
    for match in _ON_AND_AFTER.finditer(text):
        date = iso_date(match.group("date"))
        if date is not None:
            begin, finish = sentence_span(text, match.start(), match.end())
            out.append(Statement(APPLIES_FROM, begin, finish, date=date, scope="provisions stated to apply on and after this date"))
    return out
