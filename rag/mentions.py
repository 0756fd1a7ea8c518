"""Instruments named by description rather than by title.

    mentions = Describer(cards, jurisdiction_names)
    mentions.find("what does the december 2025 order say?")   # [Mention("december 2025 order", ...)]

A description is a head noun saying what kind of instrument is meant ("order",
"measures", "rules", "act", "plan", "commitments", "white paper", "code",
"resolution", "profile") with qualifiers before it or after it ("in", "of",
"from"): a jurisdiction ("China's measures", "the Chinese rules", "the AI act in
Colorado"), a publisher ("the White House commitments"), a month or a year ("the
December 2025 order"), a president for orders of that term ("Trump's December
order", "the Biden administration's October 2023 AI order") and words of the
title ("the January 2025 infrastructure order"). Every qualifier narrows the
stored documents by a catalogue field (jurisdiction, publisher, date, document
type, title words); a description names a document only when exactly one is
left, so an ambiguous description ("Biden's AI executive order": two orders
qualify) names none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Card", "Describer", "Mention", "head_matches"]

# Head nouns and what they match: words of a title or of a document type.
_HEADS: dict[str, tuple[str, ...]] = {
    "executive order": ("executive_order",), "order": ("executive_order",), "eo": ("executive_order",),
    "act": ("act", "law"), "law": ("law", "act"), "statute": ("law",), "bill": ("law", "sb", "bill"),
    "measures": ("measures",), "rules": ("measures", "regulation", "law", "act"),
    "regulation": ("regulation", "measures"), "regulations": ("regulation", "measures"),
    "action plan": ("plan",), "plan": ("plan",), "strategy": ("strategy", "plan"),
    "commitments": ("commitments",), "pledges": ("commitments",),
    "white paper": ("policy_paper", "paper"), "policy paper": ("policy_paper", "paper"), "paper": ("policy_paper", "paper"),
    "code of conduct": ("code",), "code": ("code",),
    "resolution": ("resolution",), "profile": ("profile",), "framework": ("framework",),
    "guiding principles": ("principles",), "principles": ("principles",), "guidelines": ("guidelines",),
    "statement": ("statement",), "memorandum": ("memorandum",), "memo": ("memorandum",),
    "fact sheet": ("fact_sheet",),
}
_HEAD = "|".join(sorted((re.escape(h) for h in _HEADS), key=len, reverse=True))
_MONTHS = ("january february march april may june july august september october november december").split()
# Terms of office, for "Trump's order", "the Biden administration's order" (US documents only).
_PRESIDENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "obama": (("2009-01-20", "2017-01-20"),),
    "trump": (("2017-01-20", "2021-01-20"), ("2025-01-20", "2029-01-20")),
    "biden": (("2021-01-20", "2025-01-20"),),
}
# Words that stop the qualifiers in front of a head (the question's own words).
_STOPS = frozenset(
    "what which who whom whose how when where why does do did is are was were can could should would will must "
    "under in of on for to by with from about and or than as at that this these those its their his her "
    "say says said require requires set sets ask asks".split()
)
# Qualifier words that narrow nothing.
_FILLER = frozenset(
    "the a an new latest recent current own ai artificial intelligence 's administration administration's "
    "government government's federal national president president's generative genai".split()
)


@dataclass(frozen=True)
class Card:
    """What the catalogue says about one stored document, for matching descriptions."""

    document_id: str
    jurisdiction: str
    publisher: str  # normalized
    date: str  # YYYY-MM-DD or ""
    doc_type: str
    title_words: frozenset[str]  # normalized title words, with the document type's words

    @property
    def is_report(self) -> bool:
        return self.doc_type == "news"


@dataclass(frozen=True)
class Mention:
    text: str  # the description, as in the normalized question
    start: int
    end: int
    document_id: str | None  # None: more than one stored document (or none) fits
    jurisdictions: tuple[str, ...]  # the jurisdictions the description names


def head_matches(head: str, card: Card) -> bool:
    """Whether a head noun ("order", "measures", "act") fits ``card``'s title or document type."""
    wanted = _HEADS.get(head, (head,))
    return any(w == card.doc_type or w in card.title_words for w in wanted)


class Describer:
    """Descriptions of stored documents in a (normalized) question."""

    def __init__(self, cards: list[Card], jurisdiction_names: dict[str, tuple[str, ...]]):
        self.cards = [c for c in cards if not c.is_report]
        self.places = sorted(((n, code) for code, names in jurisdiction_names.items() for n in names),
                             key=lambda t: -len(t[0]))
        place = "|".join(re.escape(n) for n, _ in self.places)
        qualifier = r"(?:[a-z0-9][\w.'-]*\s+){0,7}?"
        self._before = re.compile(rf"(?<![\w])(?P<quals>{qualifier})(?P<head>{_HEAD})(?![\w])")
        self._joined = re.compile(rf"\s+(?:and|or|&)\s+(?P<head>{_HEAD})(?![\w])")
        self._after = re.compile(
            rf"(?<![\w])(?P<head>{_HEAD})\s+(?:in|of|from|for|issued in|signed in|adopted in)\s+(?:the\s+)?"
            rf"(?P<quals>(?:{place}|{'|'.join(_MONTHS)}|\d{{4}})(?:\s+\d{{4}})?)(?![\w])"
        )

    def find(self, text: str, question: str) -> list[Mention]:
        """Descriptions in ``text`` (the normalized ``question``; short names such as "US" count
        only when ``question`` writes them in capitals)."""
        out: list[Mention] = []
        for pattern in (self._after, self._before):
            for match in pattern.finditer(text):
                if pattern is self._before:
                    quals = _qualifiers(match.group("quals"))
                    start = match.start("head") - sum(len(w) + 1 for w in quals)
                    if _used_as_verb(text, start, match.end(), match.group("head")):
                        continue
                else:  # "the AI act in Colorado": the words in front count too
                    front = _qualifiers(text[:match.start()])
                    quals = front + match.group("quals").split()
                    start = match.start() - sum(len(w) + 1 for w in front)
                words = [w for w in quals if w != "the"]
                if not words:
                    continue
                mention = self._resolve(text[start:match.end()], start, match.end(), words, match.group("head"), question)
                if mention is not None and not any(m.start < mention.end and mention.start < m.end for m in out):
                    out.append(mention)
                    joined = self._joined.match(text, match.end()) if pattern is self._before else None
                    if joined:  # "the Hiroshima principles and code": the qualifiers hold for both heads
                        second = self._resolve(text[start:joined.end()], joined.start("head"), joined.end(), words,
                                               joined.group("head"), question)
                        if second is not None and second.document_id != mention.document_id:
                            out.append(second)
        return sorted(out, key=lambda m: m.start)

    def _resolve(self, said: str, start: int, end: int, quals: list[str], head: str, question: str) -> Mention | None:
        """The one document a description fits (document_id None when several or none do); None
        when the qualifiers say nothing that narrows (no place, publisher, date or title word)."""
        phrase = " ".join(quals)
        places: list[str] = []
        for name, code in self.places:
            if re.search(rf"(?<![\w.]){re.escape(name)}(?:'s)?(?![\w])", phrase) and code not in places:
                if len(name.replace(".", "")) <= 3 and not re.search(rf"(?<![\w.]){re.escape(name.upper())}(?![\w])", question):
                    continue
                places.append(code)
                phrase = re.sub(rf"(?<![\w.]){re.escape(name)}(?:'s)?(?![\w])", " ", phrase)
        words = [w for w in re.findall(r"[a-z0-9][\w'-]*", phrase)]
        months = [_MONTHS.index(w) + 1 for w in words if w in _MONTHS]
        years = [w for w in words if re.fullmatch(r"(?:19|20)\d{2}", w)]
        presidents = [w.removesuffix("'s") for w in words if w.removesuffix("'s") in _PRESIDENTS]
        rest = [w.removesuffix("'s") for w in words
                if w not in _FILLER and w not in _MONTHS and w not in years and w.removesuffix("'s") not in _PRESIDENTS]
        candidates = [c for c in self.cards if head_matches(head, c)]
        if places:
            candidates = [c for c in candidates if c.jurisdiction in places]
        if months:
            candidates = [c for c in candidates if c.date[5:7] and int(c.date[5:7]) in months]
        if years:
            candidates = [c for c in candidates if c.date[:4] in years]
        if presidents:
            candidates = [c for c in candidates if c.jurisdiction == "us" and c.date and any(
                a <= c.date < b for p in presidents for a, b in _PRESIDENTS[p])]
        publisher_words = [w for w in rest if any(w in c.publisher.split() for c in self.cards)]
        for word in rest:
            candidates = [c for c in candidates if word in c.title_words or word in c.publisher.split()]
        narrowed = places or months or years or presidents or publisher_words or rest
        if not narrowed:
            return None
        only = candidates[0].document_id if len(candidates) == 1 else None
        return Mention(said, start, end, only, tuple(places))


_VERB_HEADS = frozenset({"plan", "order", "act", "code", "rules", "statement"})
_AUXILIARY = re.compile(r"(?:^|\s)(?:does|do|did|will|would|can|could|should|might|may)\s+$")
# Words after a head that show it is a verb with its object ("does the UK plan binding rules").
_OBJECT_WORDS = re.compile(
    r"^\s+(?:a|an|the|to|that|its|their|his|her|them|it|binding|new|more|stricter|any|all|some|no)\b"
)


def _used_as_verb(text: str, start: int, end: int, head: str) -> bool:
    """"Does the UK plan binding rules?", "the US plan to give": a head that can be a verb,
    followed by an object, after an auxiliary and its subject (or by "to")."""
    if head not in _VERB_HEADS:
        return False
    if re.match(r"\s+to\s", text[end:]):
        return True
    return bool(_AUXILIARY.search(text[:start])) and bool(_OBJECT_WORDS.match(text[end:]))


def _qualifiers(quals: str) -> list[str]:
    """The qualifier words in front of a head: those after the last of the question's own words,
    from "the" on ("what does the december 2025" -> ["the", "december", "2025"])."""
    kept: list[str] = []
    for word in reversed(quals.split()):
        if word in _STOPS:
            break
        kept.insert(0, word)
        if word == "the":
            break
    return kept
