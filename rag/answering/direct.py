"""The value a question asks for, and where a quoted sentence states it.

A question asking when, how much, how many, which threshold or who wants one
value: a date, an amount or percentage, a number, a named body. ``asked_kind``
reads which; ``values_in`` finds every value of that kind in a text (as
character spans, so the value is given as the document writes it); and
``direct_answer`` picks the value out of the answer's citations when one cited
span states exactly one.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..types import Citation, DirectAnswer

__all__ = ["asked_kind", "values_in", "holds_value", "direct_answer", "counted", "counts_of", "KINDS"]

KINDS = ("date", "amount", "number", "threshold", "body")

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
                r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred)")
_COUNT = rf"(?:\d+|{_NUMBER_WORD}(?:[- ]{_NUMBER_WORD})?)"

_YES_NO = re.compile(r"^\s*(?:does|do|did|is|are|was|were|can|could|has|have|had|should|will|would|may|must)\b",
                     re.IGNORECASE)
_DEFINITION = re.compile(r"^\s*who\s+(?:is|are|counts?|qualif\w*|would be|falls?)\b", re.IGNORECASE)
# "When is a change a 'substantial modification'?", "When does a system count as high-risk?": a condition, not a date
_CONDITION = re.compile(
    r"^\s*when\s+(?:is|are)\s+(?:an?|any)\b|\bwhen\s+(?:is|are|does|do)\b.*\b(?:counts?|qualif\w*|considered|"
    r"deemed|treated|presumed|regarded)\b",
    re.IGNORECASE,
)
_ASKS = (
    ("threshold", re.compile(r"\bthresholds?\b|\b(?:above|over|beyond) (?:what|which|how many|how much)\b",
                             re.IGNORECASE)),
    ("date", re.compile(
        r"^\s*(?:when|by when|since when|from when|until when)\b|\b(?:what|which|by what|on what|from what)\s+"
        r"(?:date|day|year|deadline)\b|\bin what year\b|\bwhen (?:do|does|did|will|is|are|must|shall)\b",
        re.IGNORECASE)),
    ("amount", re.compile(
        r"\bhow (?:much|high|large|big)\b|\bwhat (?:is|are|was|were) the (?:maximum |minimum |total |highest )?"
        r"(?:fines?|penalt\w+|amount|cost|budget|funding)\b|\bwhat (?:percentage|share|proportion)\b|"
        r"\b(?:maximum|highest|largest) (?:fines?|penalt\w+)\b",
        re.IGNORECASE)),
    ("number", re.compile(r"\bhow many\b|\bwhat number of\b", re.IGNORECASE)),
    ("body", re.compile(
        r"^\s*who\b|\b(?:which|what)\s+(?:\w+\s+)?(?:authorit(?:y|ies)|bod(?:y|ies)|agenc(?:y|ies)|office|"
        r"institution|regulator|official|department|ministry|organi[sz]ation|entity)\b",
        re.IGNORECASE)),
)

_DATE = re.compile(
    rf"\b\d{{1,2}}\s+{_MONTH}\s+\d{{4}}\b|\b{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}\b|\b{_MONTH}\s+\d{{4}}\b|"
    rf"\b(?:within|after|no later than)\s+{_COUNT}\s+(?:calendar\s+)?(?:days?|months?|years?)\b|"
    rf"\b{_COUNT}\s+(?:calendar\s+)?(?:days?|months?|years?)\s+(?:after|from|following|of)\b|"
    r"(?<![/\d])\b(?:19|20)\d{2}\b(?![/\d])",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"(?:\b(?:EUR|USD|GBP|RMB|CNY)\s?|[€$£¥])\d{1,3}(?:[ ,.]\d{3})*(?:\.\d+)?(?:\s+(?:million|billion|trillion))?|"
    r"\b\d{1,3}(?:[ ,]\d{3})*(?:\.\d+)?(?:\s+(?:million|billion|trillion))?\s+(?:euros?|dollars?|pounds?|yuan|EUR|USD|GBP)\b|"
    r"\b\d+(?:\.\d+)?\s?(?:%|percent\b|per cent\b)",
    re.IGNORECASE,
)
_NUMBER = re.compile(
    rf"\b\d{{1,3}}(?:,\d{{3}})+\b|\b\d+(?:\.\d+)?(?:\^\d+|<sup>\d+</sup>)?(?![\d/])|\b{_NUMBER_WORD}\b",
    re.IGNORECASE,
)
# what a number is not: the number of an article, section or list item, or part of a reference
_REFERENCE_BEFORE = re.compile(
    r"(?:Article|Articles|Art\.|Section|Sections|Sec\.|§|paragraph|paragraphs|point|points|Annex|Chapter|Title|"
    r"No\.|Order|Regulation|Directive|Decision|Recital|Part|subsection|clause|Law|Act|and|to|or)\s*$",
    re.IGNORECASE,
)
_BODY_NOUN = (r"(?:Commission|Office|Board|Authority|Authorities|Agency|Council|Committee|Secretary|Director|"
              r"Attorney General|Department|Ministry|Administration|Parliament|Court|Bureau|Institute|Panel|"
              r"Coordinator|Advisor|Adviser|Chancellor|President|Governor|Legislature|Centre|Center|Officers?)")
_BODY = re.compile(
    rf"\b(?:[A-Z][A-Za-z.&’'-]*\s+(?:(?:of|for|and|on)\s+(?:the\s+)?)?)*{_BODY_NOUN}(?:-[A-Z][a-z]+)?\b"
    rf"(?:\s+(?:of|for|on)\s+(?:the\s+)?[A-Z][A-Za-z]*(?:\s+(?:and\s+)?[A-Z][A-Za-z]*)*)?|"
    r"\b(?:ATTORNEY GENERAL|SECRETARY OF STATE)\b|"
    r"\b(?:national\s+)?(?:market surveillance|competent|supervisory|data protection|notifying)\s+authorit(?:y|ies)\b|"
    r"\bnotified bod(?:y|ies)\b"
)
# a year that is part of a name: "the Data Protection Act 2018", "Executive Order 13960 of December 3, 2020" is not
_NAMED_YEAR = re.compile(r"\b(?:Act|Law|Regulation|Directive|Code|Strategy|Plan)\s+(?:of\s+)?$")
# capitalised words that start a sentence or name no body
_NOT_BODY_WORDS = frozenset({"The", "This", "That", "Such", "Each", "Any", "Where", "When", "If", "A", "An", "In", "By"})


def asked_kind(question: str) -> str | None:
    """The kind of value the question asks for: date, amount, number, threshold or body (a named
    authority); None for other questions, yes-or-no ones and definitions ("who counts as a deployer")."""
    if _YES_NO.match(question) or _DEFINITION.match(question) or _CONDITION.search(question):
        return None
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


def values_in(kind: str, text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` holding a value of ``kind``, in order, not overlapping."""
    if kind == "date":
        return [m.span() for m in _DATE.finditer(text) if not _NAMED_YEAR.search(text, 0, m.start())]
    if kind == "amount":
        return [m.span() for m in _AMOUNT.finditer(text)]
    if kind == "number":
        return _numbers(text)
    if kind == "threshold":
        amounts = [m.span() for m in _AMOUNT.finditer(text)]
        numbers = [s for s in _numbers(text) if not any(a <= s[0] < b for a, b in amounts)]
        return sorted(amounts + numbers)
    if kind == "body":
        return [_without_lead_word(text, m.span()) for m in _BODY.finditer(text)]
    raise ValueError(f"unknown kind of value {kind!r}")


def holds_value(kind: str, text: str, noun: str | None = None) -> bool:
    """``text`` states a value of ``kind`` (with ``noun``, for a "how many" question: a number counting it)."""
    return bool(counts_of(noun, text) if noun and kind == "number" else values_in(kind, text))


def counted(question: str) -> str | None:
    """What a "how many" question counts ("How many responses did ..." -> "responses"), else None."""
    match = _COUNTED.search(question) or _COUNTED_FIRST.search(question)
    return match.group(1).lower() if match else None


def counts_of(noun: str, text: str) -> list[tuple[int, int]]:
    """The numbers of ``text`` that count ``noun`` ("409 written responses" for "responses"): a number
    followed, within two words, by a word sharing the noun's first five letters."""
    stem = re.escape(noun[:5])
    out = []
    for start, end in _numbers(text):
        if re.match(rf"[\s-]+(?:[\w’'-]+\s+){{0,2}}{stem}", text[end:end + 60], re.IGNORECASE):
            out.append((start, end))
    return out


def direct_answer(kind: str | None, citations: Sequence[Citation], question: str = "") -> DirectAnswer | None:
    """The value asked for, when the first citation stating any value of that kind states exactly one
    (the same value written twice counts once); None otherwise. For a "how many" question only the
    numbers counting what it asks about ("409 written responses") are read."""
    if kind is None:
        return None
    noun = counted(question) if kind == "number" else None
    for citation in citations:
        spans = counts_of(noun, citation.quote) if noun else values_in(kind, citation.quote)
        if not spans:
            continue
        distinct = {" ".join(citation.quote[a:b].split()).lower() for a, b in spans}
        if len(distinct) != 1:
            return None
        a, b = spans[0]
        return DirectAnswer(text=citation.quote[a:b], citation=citation)
    return None


_AUXILIARY = r"(?:did|does|do|is|are|was|were|has|have|had|will|would|can|could|should|must|may|shall)"
# the noun a "how many" question counts: the word before its verb ("how many frontier AI models was ..."), else the first
_COUNTED = re.compile(rf"\bhow many\s+(?:[\w-]+\s+){{0,3}}?([a-z][\w-]{{2,}})\s+{_AUXILIARY}\b", re.IGNORECASE)
_COUNTED_FIRST = re.compile(r"\bhow many\s+(?:of\s+)?(?:the\s+)?([a-z][\w-]{2,})\b", re.IGNORECASE)


def _numbers(text: str) -> list[tuple[int, int]]:
    dates = [m.span() for m in _DATE.finditer(text) if not m.group(0).lower().startswith(("within", "after", "no later"))]
    out = []
    for match in _NUMBER.finditer(text):
        start, end = match.span()
        if any(a <= start < b for a, b in dates):
            continue
        before = text[max(0, start - 16):start]
        after = text[end:end + 2]
        if _REFERENCE_BEFORE.search(before) and match.group(0)[0].isdigit():
            continue
        if after.startswith((")", ".")) and (start == 0 or text[start - 1] in "(\n ") and len(match.group(0)) <= 2:
            if start == 0 or text[:start].rstrip().endswith(("\n", "(")) or text[start - 1] == "(":
                continue  # a list marker: "1." or "(2)"
        if text[max(0, start - 1):start] == "(" and after.startswith(")"):
            continue  # "(2)": a paragraph number
        if re.fullmatch(r"\d{4,}\.\d+", match.group(0)):
            continue  # "22757.12": the number of a code section
        out.append((start, end))
    return out


def _without_lead_word(text: str, span: tuple[int, int]) -> tuple[int, int]:
    """A body's name without a sentence-opening word caught with it ("Where the Commission")."""
    start, end = span
    while True:
        word = re.match(r"[A-Za-z]+\s+", text[start:end])
        if word is None or word.group(0).strip() not in _NOT_BODY_WORDS:
            return start, end
        start += word.end()
