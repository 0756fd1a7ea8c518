"""Deciding when the documents cannot answer, and saying why.

Beyond the evidence score (``rag.answering.Evidence``), these checks compare
what a question needs with what the corpus holds:

* a named instrument or jurisdiction that no stored document is (and that the
  corpus text never mentions): "The corpus does not include ...";
* a provision the named instrument does not have ("Article 250 of the AI Act");
* the kind of value asked for (a date, an amount, a number, a time limit) that
  none of the quoted sentences holds: the answer is given, flagged ``value_not_found``;
* a premise resting on words the named documents never use: the answer is
  given, flagged ``premise_not_supported``.

Pure functions: callers pass what the stores know.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .understanding import JURISDICTION_NAMES, Understood, normalize

NOT_IN_CORPUS = "not_in_corpus"
NO_SUCH_PROVISION = "no_such_provision"
VALUE_NOT_FOUND = "value_not_found"
LOW_EVIDENCE = "low_evidence"
PREMISE_NOT_SUPPORTED = "premise_not_supported"


@dataclass(frozen=True)
class Refusal:
    reason: str
    message: str


def closest_sentence(titles: list[str]) -> str:
    titles = list(dict.fromkeys(titles))[:3]
    if not titles:
        return ""
    if len(titles) == 1:
        return f"the closest document is {titles[0]}"
    return "the closest documents are " + ", ".join(titles[:-1]) + " and " + titles[-1]


def _with_closest(message: str, titles: list[str]) -> str:
    closest = closest_sentence(titles)
    return f"{message}; {closest}." if closest else f"{message}."


def missing_instrument(
    understood: Understood,
    titles: dict[str, str],
    corpus_mentions: Callable[[str], bool],
    document_mentions: Callable[[str, Iterable[str]], bool],
    closest: list[str],
) -> Refusal | None:
    """A refusal when the question is about an instrument or jurisdiction the corpus does not hold.

    ``corpus_mentions(phrase)``: whether any stored text holds the phrase (a name the corpus
    mentions, such as a declaration a stored paper reports on, is left to the evidence score);
    ``document_mentions(document_id, words)``: whether that document's text holds any of the words."""
    for name in understood.unknown_instruments:
        phrase = _distinctive_phrase(name)
        if phrase and corpus_mentions(phrase):
            continue
        return Refusal(NOT_IN_CORPUS, _with_closest(f"The corpus does not include {_the(name)}", closest))
    for code in understood.unknown_jurisdictions:
        names = JURISDICTION_NAMES.get(code, (code,))
        named = understood.document_ids
        if named and any(document_mentions(d, names) for d in named):
            continue
        place = max(names, key=len).title()
        if not named and code not in understood.subject_jurisdictions and any(corpus_mentions(n) for n in names):
            continue  # mentioned by the stored texts, and not asked about as a lawmaker: left to the evidence
        if named:
            listed = " or ".join(titles.get(d, d) for d in named)
            return Refusal(NOT_IN_CORPUS, _with_closest(
                f"The corpus holds no documents from {place}, and {listed} does not mention it", closest))
        return Refusal(NOT_IN_CORPUS, _with_closest(f"The corpus does not include documents from {place}", closest))
    return None


def missing_provision(
    understood: Understood, inventories: dict[str, dict[str, frozenset[str]]], titles: dict[str, str]
) -> Refusal | None:
    """A refusal when the question cites a provision that the named instrument (or, with none
    named, every stored document) does not have."""
    for provision in understood.provisions:
        if provision.kind in ("title",):
            continue
        named = understood.document_ids
        scope = named or list(inventories)
        holders = [d for d in scope if provision.number in inventories.get(d, {}).get(provision.kind, frozenset())]
        if holders:
            continue
        if named:
            own = [inventories.get(d, {}).get(provision.kind, frozenset()) for d in named]
            if not any(own):
                continue  # the instrument does not number its parts this way: nothing to check against
            where = " or ".join(titles.get(d, d) for d in named)
            span = _range(set().union(*own))
            return Refusal(NO_SUCH_PROVISION, f"{where} has no {provision.text}{span}.")
        return Refusal(NO_SUCH_PROVISION, f"No document in the corpus has {_lower_first(provision.text)}.")
    return None


# ---------------------------------------------------------------- the kind of value asked for

_ASKS = (
    ("date", re.compile(
        r"^\s*(?:when|by when|since when|from when|until when)\b|\b(?:what|which|by what|on what|from what)\s+"
        r"(?:date|day|year|deadline)\b|\bin what year\b", re.IGNORECASE)),
    ("time limit", re.compile(r"\bhow (?:long|quickly|soon|fast|often)\b|\bwithin how many\b", re.IGNORECASE)),
    ("amount", re.compile(
        r"\bhow much\b|\bwhat (?:is|are|was|were) the (?:maximum |minimum |total )?(?:fines?|penalt\w+|amount|cost|budget)\b",
        re.IGNORECASE)),
    ("number", re.compile(r"\bhow many\b|\bwhat (?:percentage|share|proportion|number)\b", re.IGNORECASE)),
)
_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
                 r"sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|dozen|half|single|both|all")
_HOLDS = {
    "date": re.compile(
        r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b|"
        r"\b(?:19|20)\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b(?:\d+|" + _NUMBER_WORDS + r")\s+(?:days?|months?|years?)\b",
        re.IGNORECASE),
    "time limit": re.compile(
        r"\b(?:\d+|" + _NUMBER_WORDS + r")[\s-]+(?:hours?|days?|weeks?|months?|years?|calendar days?)\b|"
        r"\b(?:immediately|without undue delay|annual(?:ly)?|yearly|every year|each year|quarterly|monthly|promptly|"
        r"at least once|regularly|periodically|continuous(?:ly)?|ongoing)\b",
        re.IGNORECASE),
    "amount": re.compile(
        r"[$€£¥]|\b(?:EUR|USD|GBP|euros?|dollars?|pounds?|yuan|percent|per cent)\b|\d\s*%|"
        r"\b\d[\d,.]*\s*(?:million|billion|trillion|bn|m)\b|\b(?:" + _NUMBER_WORDS + r")\s+(?:million|billion)\b",
        re.IGNORECASE),
    "number": re.compile(r"\b\d[\d,.]*\b|\b(?:" + _NUMBER_WORDS + r")\b", re.IGNORECASE),
}


_YES_NO = re.compile(r"^\s*(?:does|do|did|is|are|was|were|can|could|has|have|had|should|will|would|may|must)\b", re.IGNORECASE)


def asked_value(question: str) -> str | None:
    """The kind of value a question asks for: date, time limit, amount, number, or None (also for
    a yes-or-no question: "Does the RMF say how much risk is acceptable?")."""
    if _YES_NO.match(question):
        return None
    for kind, pattern in _ASKS:
        if pattern.search(question):
            return kind
    return None


def holds_value(kind: str, text: str) -> bool:
    return bool(_HOLDS[kind].search(text))


def missing_value(question: str, sentences: list[str]) -> Refusal | None:
    """A flag (with the sentence saying so) when the question asks for a kind of value that none
    of ``sentences`` (the quoted evidence) holds."""
    kind = asked_value(question)
    if kind is None or not sentences or any(holds_value(kind, s) for s in sentences):
        return None
    what = {"date": "a date", "time limit": "a time limit", "amount": "an amount", "number": "a number"}[kind]
    return Refusal(VALUE_NOT_FOUND, f"The passages that best match the question do not state {what} for it; "
                   "the closest they come is quoted below.")


# ---------------------------------------------------------------- premises

# Things a question may take for granted about an instrument (a sanction, a ban, a fee...):
# when the question names documents none of which ever speaks of it, the premise is not
# supported. Each concept is a few word patterns, matched in the question and in the texts.
PREMISE_CONCEPTS: dict[str, tuple[str, ...]] = {
    "fines or penalties": (r"\bfines?\b", r"\bfined\b", r"\bpenalt", r"\bsanction"),
    "criminal liability": (r"\bcriminal", r"\bprison", r"\bimprison", r"\bjail", r"\boffen[cs]es?\b"),
    "a ban": (r"\bban(?:s|ned|ning)?\b", r"\bprohibit", r"\bforbid"),
    "a licence": (r"\blicen[cs]",),
    "fees or taxes": (r"\bfees?\b", r"\btax(?:es)?\b", r"\blev(?:y|ies)\b"),
    "registration": (r"\bregist(?:er|ration|ry)",),
    "compensation": (r"\bcompensat",),
    "open-source models": (r"\bopen[- ]source",),
    "red-teaming": (r"\bred[- ]team",),
    "watermarking": (r"\bwatermark",),
}
_CONCEPTS = {name: re.compile("|".join(patterns), re.IGNORECASE) for name, patterns in PREMISE_CONCEPTS.items()}


def unsupported_concepts(question: str, named_texts: list[str]) -> list[str]:
    """The concepts the question speaks of that none of the named documents' texts does."""
    if not named_texts:
        return []
    return [name for name, pattern in _CONCEPTS.items()
            if pattern.search(question) and not any(pattern.search(text) for text in named_texts)]


def premise_sentence(concepts: list[str], titles: list[str]) -> str:
    where = " or ".join(titles)
    return f"{where} does not mention {' or '.join(concepts)}; the closest it comes is quoted below."


# ---------------------------------------------------------------- helpers

def _distinctive_phrase(name: str) -> str:
    """The part of an instrument's name to look for in the corpus: without a leading article,
    owner ("South Korea's") or jurisdiction word."""
    text = normalize(name)
    text = re.sub(r"^the\s+", "", text)
    text = re.sub(r"^[\w. ]+?'s\s+", "", text)
    for names in JURISDICTION_NAMES.values():
        for n in sorted(names, key=len, reverse=True):
            if text.startswith(n + " ") and len(n) > 3:
                text = text[len(n) + 1:]
    return re.sub(r"[^\w\s/-]", " ", text).strip()


def _the(name: str) -> str:
    """"the EU AI Act", "South Korea's AI Basic Act", "Executive Order 14148" as they read in a sentence."""
    if re.match(r"^(?:the\s|[A-Z][\w.]*(?:\s[A-Z][\w.]*)?['’]s\s)", name, re.IGNORECASE) or re.search(r"\d", name):
        return name
    return f"the {name}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isupper() and not text[:2].isupper() else text


def _range(numbers: set[str]) -> str:
    digits = sorted(int(n) for n in numbers if n.isdigit())
    if len(digits) >= 3:
        return f" (its numbering runs from {digits[0]} to {digits[-1]})"
    return ""
