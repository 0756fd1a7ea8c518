"""Checks that each generated sentence says only what the evidence it cites says.

Pure functions over strings. A model's reply is split into sentences; a
sentence is kept only when

* it cites at least one evidence item with an ``[n]`` marker, and every marker
  points into the evidence list;
* every name it uses (a capitalised word past the first, or an acronym), and
  every reference to a provision (Article 50, Section 4.2, Annex III,
  paragraph 4), every number, amount and percentage, every date (years, months,
  weekdays) and any negation it states also appear in what it cites: the quotes
  and the instrument titles and section paths shown with them;
* enough of its content words appear there too (``min_coverage``).

Anything else is dropped with a reason code (``REASONS``) and a detail that
says what was missing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..terms import query_terms

# Share of a sentence's content words that must appear in what it cites: the lowest value that
# keeps at most 2 % of reference answers checked against another question's quotes (it keeps 75 %
# checked against their own), on both evaluation sets (eval/calibrate_coverage.py).
DEFAULT_MIN_COVERAGE = 0.4

REASONS = (
    "no_citation",  # no [n] marker
    "citation_out_of_range",  # a marker that is not an evidence number
    "unsupported_reference",  # an article, section, annex... the cited evidence does not name
    "unsupported_date",  # a year, month or weekday the cited evidence does not hold
    "unsupported_number",  # a number, amount or percentage the cited evidence does not hold
    "unsupported_name",  # a name (a capitalised word) the cited evidence does not hold
    "unsupported_negation",  # a negation where the cited evidence has none
    "low_coverage",  # too few of its words appear in the cited evidence
    "incomplete",  # the model stopped (timeout, error) in the middle of it
)


@dataclass(frozen=True)
class Source:
    """What one evidence item offers as support: its quote, and the title and section shown beside it."""

    quote: str
    label: str = ""

    @property
    def text(self) -> str:
        return f"{self.label}\n{self.quote}"


@dataclass(frozen=True)
class Verdict:
    """One generated sentence and what became of it."""

    text: str  # as the model wrote it
    body: str  # without its markers
    cited: tuple[int, ...]  # evidence numbers, in order of first use
    reason: str | None = None  # None: kept
    detail: str = ""
    coverage: float = 0.0

    @property
    def kept(self) -> bool:
        return self.reason is None


# ---------------------------------------------------------------- sentences and markers

_MARKER = re.compile(r"\[\s*(\d+(?:\s*(?:,|;|-|–|and)\s*\d+)*)\s*\]")
_MARKERS_AFTER = re.compile(rf"(?:\s*{_MARKER.pattern})*")
_TERMINATOR = re.compile(r"[.!?]+[\"'”’)]*|\]")
_STARTS_SENTENCE = re.compile(r"\s+[A-Z0-9\"'“‘(]")
_LIST_ITEM = re.compile(r"(?m)^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_ABBREVIATIONS = frozenset("art no nos sec mr mrs ms dr inc ltd co corp vs e.g i.e cf para paras fig st jr sr u.s u.k u.n".split())


def split_sentences(text: str) -> list[str]:
    """The sentences of a generated reply, each with the markers that follow its full stop.

    A sentence ends at ``.``, ``!`` or ``?`` (and any markers right after it) before a
    capital letter, a digit, an opening quote or the end; or at a group of markers
    followed by a capital letter. List bullets and numbering are removed first.
    """
    text = " ".join(_LIST_ITEM.sub("", text).split())
    out: list[str] = []
    start = 0
    for match in _TERMINATOR.finditer(text):
        if match.start() < start:
            continue
        end = _MARKERS_AFTER.match(text, match.end()).end()  # type: ignore[union-attr]
        at_end = end == len(text)
        if not at_end and not _STARTS_SENTENCE.match(text, end):
            continue
        if match.group() == "]":  # markers with no full stop end a sentence only before a capital letter
            if not at_end and not text[end:].lstrip()[:1].isupper():
                continue
        elif end == match.end() and _is_abbreviation(text, match.start()):
            continue
        sentence = text[start:end].strip()
        if sentence:
            out.append(sentence)
        start = end
    rest = text[start:].strip()
    if rest:
        out.append(rest)
    return out


def _is_abbreviation(text: str, dot: int) -> bool:
    if text[dot] != ".":
        return False
    word = text[:dot].rsplit(None, 1)[-1].lower().lstrip("(\"'“‘") if text[:dot].strip() else ""
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def parse_markers(sentence: str) -> tuple[str, list[int]]:
    """(the sentence without markers, the evidence numbers it cites in order, without repeats).

    Accepts ``[1]``, ``[1][2]``, ``[1, 2]`` and short ranges ``[1-3]``."""
    numbers: list[int] = []
    for match in _MARKER.finditer(sentence):
        for part in re.split(r"\s*(?:,|;|and)\s*", match.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[-–]\s*", part)]
            low, high = bounds[0], bounds[-1]
            span = range(low, high + 1) if low <= high <= low + 20 else (low, high)
            numbers.extend(n for n in dict.fromkeys(span) if n not in numbers)
    body = _MARKER.sub("", sentence)
    body = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(body.split()))
    return body.strip(), numbers


# ---------------------------------------------------------------- facts a sentence states

_NUMBER_WORDS = {
    w: i for i, w in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    ) if w != "_"
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100}
_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "bn": 1e9}
_CURRENCIES = {
    "€": "eur", "eur": "eur", "euro": "eur", "euros": "eur", "$": "usd", "usd": "usd", "dollar": "usd", "dollars": "usd",
    "£": "gbp", "gbp": "gbp", "pound": "gbp", "pounds": "gbp", "¥": "cny", "cny": "cny", "rmb": "cny", "yuan": "cny",
}
_NUMBER_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_QUANTITY = re.compile(
    r"(?P<pre>[€$£¥]|\b(?:EUR|USD|GBP|CNY|RMB)\b)?\s?"
    rf"(?P<num>\d{{1,3}}(?:[,\u00a0\u202f ]\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|\b(?:{_NUMBER_WORD})(?:[- ](?:{_NUMBER_WORD}))?\b)"
    r"(?:\s?(?P<scale>thousand|million|billion|trillion|bn)\b)?"
    r"(?:\s?(?P<post>%|per\s?cent\b|percent\b|euros?\b|dollars?\b|pounds?\b|yuan\b|EUR\b|USD\b|GBP\b|CNY\b|RMB\b))?",
    re.IGNORECASE,
)
_MONTHS = "january february march april may june july august september october november december".split()
# "may" is a month only before a day or a year ("May 2024"); elsewhere it is the verb.
_MONTH = re.compile(r"\b(" + "|".join(m for m in _MONTHS if m != "may") + r"|may(?=\s+\d))\b", re.IGNORECASE)
_MONTHS_AND_DAYS = frozenset(_MONTHS + "monday tuesday wednesday thursday friday saturday sunday".split())
_WEEKDAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b", re.IGNORECASE)
_REFERENCE = re.compile(
    r"(?P<kind>\barticles?|\bart\.|\bsections?|\bsec\.|§§?|\bannex(?:es)?|\bchapters?|\brecitals?|\bparagraphs?|\bpoints?|\btitles?)"
    r"\s*(?P<id>\d+(?:\.\d+)*[a-z]?|[IVXLC]+\b)(?P<sub>(?:\s?\(\w{1,4}\))*)",
    re.IGNORECASE,
)
_KIND = {"art.": "article", "sec.": "section", "§": "section", "§§": "section", "annexes": "annex"}
_NEGATION = re.compile(r"\b(not|no(?!\.\s?\d)|never|neither|nor|none|nobody|nothing|nowhere|cannot|without)\b|n['’]t\b", re.IGNORECASE)


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: str | None  # "%", a currency code, or None

    def __str__(self) -> str:
        number = f"{self.value:.0f}" if self.value.is_integer() else f"{self.value}"
        number = f"{self.value:,.0f}" if self.value >= 10000 and self.value.is_integer() else number
        return f"{number}{self.unit}" if self.unit == "%" else f"{number} {self.unit}" if self.unit else number


def _number_value(text: str) -> float:
    words = re.split(r"[- ]", text.lower())
    if words[0] in _NUMBER_WORDS:
        return float(sum(_NUMBER_WORDS.get(w, 0) for w in words))
    return float(re.sub(r"[,\u00a0\u202f ]", "", text))


def _unit(pre: str | None, post: str | None) -> str | None:
    for mark in (post, pre):
        if mark:
            mark = re.sub(r"\s", "", mark.lower())
            return "%" if mark in ("%", "percent") else _CURRENCIES.get(mark, mark)
    return None


def quantities(text: str) -> list[tuple[Quantity, bool]]:
    """Numbers, amounts and percentages stated in ``text``, each with whether it reads as a year."""
    out: list[tuple[Quantity, bool]] = []
    for match in _QUANTITY.finditer(text):
        value = _number_value(match.group("num"))
        scale = match.group("scale")
        if scale:
            value *= _SCALES[scale.lower()]
        unit = _unit(match.group("pre"), match.group("post"))
        is_year = unit is None and not scale and match.group("num").isdigit() and 1900 <= value <= 2100
        out.append((Quantity(value, unit), is_year))
    return out


def dates(text: str) -> set[str]:
    """Month and weekday names in ``text`` (years are numbers), lowercased."""
    return {m.group(1).lower() for m in _MONTH.finditer(text)} | {m.group(1).lower() for m in _WEEKDAY.finditer(text)}


def references(text: str) -> set[tuple[str, str]]:
    """Provision references: ("article", "50"), ("paragraph", "4") for "Article 50(4)", ("annex", "iii")..."""
    out: set[tuple[str, str]] = set()
    for match in _REFERENCE.finditer(text):
        kind = match.group("kind").lower()
        kind = _KIND.get(kind, kind[:-1] if kind.endswith("s") else kind)
        out.add((kind, match.group("id").lower()))
        for sub in re.findall(r"\((\w{1,4})\)", match.group("sub") or ""):
            out.add(("paragraph" if sub.isdigit() else "point", sub.lower()))
    return out


def _without_references(text: str) -> str:
    return _REFERENCE.sub(" ", text)


_NAME = re.compile(r"\b[A-Z][\w’'-]*")


def names(text: str) -> set[str]:
    """Names in a sentence, lowercased: capitalised words after the first, and a first word with
    more than one capital (SpaceX, EU, OpenAI); possessives dropped."""
    out: set[str] = set()
    for match in _NAME.finditer(text):
        word = re.sub(r"['’]s$", "", match.group()).strip("'’-")
        first = match.start() == len(text) - len(text.lstrip(" \"'“‘("))
        if word and (not first or sum(c.isupper() for c in word) > 1):
            out.add(word.lower())
    return out


def negated(text: str) -> bool:
    return _NEGATION.search(text) is not None


def stem(word: str) -> str:
    word = re.sub(r"['’]s$", "", word.lower())
    return word[:5] if len(word) > 5 else word


def content_words(text: str) -> list[str]:
    """Words that carry meaning (no stop words, no numbers), as stems."""
    return [stem(w) for w in query_terms(text) if not any(c.isdigit() for c in w)]


def coverage(body: str, support: str) -> float:
    """Share of the sentence's content words whose stem appears in ``support`` (1.0 when it has none)."""
    words = content_words(body)
    if not words:
        return 1.0
    available = set(content_words(support))
    return sum(1 for w in words if w in available) / len(words)


# ---------------------------------------------------------------- verdicts


def verify_sentence(sentence: str, sources: Sequence[Source], min_coverage: float = DEFAULT_MIN_COVERAGE) -> Verdict:
    """Keep or drop one generated sentence against the evidence list (``sources[0]`` is item [1])."""
    body, cited = parse_markers(sentence)

    def drop(reason: str, detail: str, cover: float = 0.0) -> Verdict:
        return Verdict(sentence, body, tuple(cited), reason, detail, round(cover, 3))

    if not cited:
        return drop("no_citation", "the sentence cites no evidence")
    outside = [n for n in cited if not 1 <= n <= len(sources)]
    if outside:
        return drop("citation_out_of_range", f"the evidence list has {len(sources)} items; cited {outside}")
    support = "\n".join(sources[n - 1].text for n in cited)
    missing_refs = references(body) - references(support)
    if missing_refs:
        return drop("unsupported_reference", "not in the cited evidence: " + _names(f"{k} {i}" for k, i in sorted(missing_refs)))
    held = {q for q, _ in quantities(support)}
    held_values = {q.value for q in held}
    for quantity, is_year in quantities(_without_references(body)):
        supported = quantity in held if quantity.unit else quantity.value in held_values
        if not supported:
            return drop("unsupported_date" if is_year else "unsupported_number", f"not in the cited evidence: {quantity}")
    missing_dates = dates(body) - dates(support)
    if missing_dates:
        return drop("unsupported_date", "not in the cited evidence: " + _names(missing_dates))
    words = {w.lower() for w in re.findall(r"[\w’'-]+", support)}
    words |= {re.sub(r"['’]s$", "", w) for w in words}
    missing_names = names(body) - words - _MONTHS_AND_DAYS
    if missing_names:
        return drop("unsupported_name", "not in the cited evidence: " + _names(missing_names))
    if negated(body) and not negated(support):
        return drop("unsupported_negation", "the sentence negates; the cited evidence does not")
    cover = coverage(body, support)
    if cover < min_coverage:
        return drop("low_coverage", f"{cover:.0%} of its words are in the cited evidence (needs {min_coverage:.0%})", cover)
    return Verdict(sentence, body, tuple(cited), None, "", round(cover, 3))


def verify(reply: str, sources: Sequence[Source], min_coverage: float = DEFAULT_MIN_COVERAGE) -> list[Verdict]:
    """Every sentence of a reply, kept or dropped."""
    return [verify_sentence(s, sources, min_coverage) for s in split_sentences(reply)]


def _names(items: Iterable[str]) -> str:
    return ", ".join(sorted(set(items)))
