"""What a question names: instruments, jurisdictions and provisions.

    understood = Lexicon.build(documents).understand("What does Article 50 of the AI Act require?")
    understood.documents     # [("eu__eu-ai-act-2024-1689.txt", "the AI Act")]
    understood.provisions    # [Provision("article", "50", ...)]

Instruments are recognised by the names a document goes by: its title and the
distinctive word pairs of its title ("Hiroshima ... Code of Conduct", "interim
measures"), numbers in its title ("Executive Order 14110", "EO 14110",
"2024/1689", "SB 53", "AI 100-1"), aliases in its metadata (catalogue key
``aliases``), the common short names of well-known instruments ("the AI Act",
"the RMF", "GenAI profile") and its jurisdiction with its kind ("Colorado's
law", "China's interim measures"). A name that looks like an instrument
("South Korea's AI Basic Act") but matches no stored document is reported in
``unknown_instruments``, and a jurisdiction no stored document belongs to in
``unknown_jurisdictions``. Instruments described rather than named ("the December
2025 executive order", "China's measures", "the AI act in Colorado") are read by
``rag.mentions``: a description that fits one stored document alone adds it to
``documents`` (and lists it in ``described``); several that fit together ("US executive
orders", "state laws", "NIST") are a family (``families``, read by ``rag.descriptions``).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .descriptions import Descriptions
from .mentions import Card, Describer, head_matches

# Jurisdiction codes and the words that name them in a question.
JURISDICTION_NAMES: dict[str, tuple[str, ...]] = {
    "eu": ("eu", "european union", "europe", "european", "brussels"),
    "us": ("us", "u.s.", "united states", "america", "american", "federal", "white house", "washington"),
    "china": ("china", "chinese", "prc", "beijing"),
    "uk": ("uk", "united kingdom", "britain", "british", "england"),
    "us-ca": ("california", "californian"),
    "us-co": ("colorado",),
    "international": ("g7", "un", "united nations", "oecd", "international", "global", "hiroshima"),
    # Named often enough in questions to be recognised even though no document may belong to them.
    "kr": ("south korea", "korea", "korean"),
    "jp": ("japan", "japanese"),
    "in": ("india", "indian"),
    "br": ("brazil", "brazilian"),
    "ca": ("canada", "canadian"),
    "sg": ("singapore",),
    "au": ("australia", "australian"),
    "us-tx": ("texas",),
    "us-ny": ("new york", "nyc"),
    "us-il": ("illinois",),
    "us-ut": ("utah",),
    "ch": ("switzerland", "swiss"),
    "ae": ("uae", "united arab emirates"),
    "sa": ("saudi arabia",),
    "ru": ("russia", "russian"),
}
_PARENT = {"us-ca": "us", "us-co": "us", "us-tx": "us", "us-ny": "us", "us-il": "us", "us-ut": "us"}  # state -> country

# Common short names of well-known instruments, keyed by a pattern on the title.
_SHORT_NAMES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (r"\(Artificial Intelligence Act\)", ("ai act", "eu ai act", "artificial intelligence act", "european ai act")),
    (r"Risk Management Framework \(AI RMF", ("rmf", "ai rmf", "nist rmf", "nist ai rmf", "ai risk management framework",
                                            "nist framework", "risk management framework")),
    (r"Generative Artificial Intelligence Profile", ("genai profile", "generative ai profile", "gai profile",
                                                     "nist genai profile", "nist generative ai profile")),
    (r"Ethics Guidelines for Trustworthy AI", ("hleg guidelines", "hleg ethics guidelines", "ethics guidelines",
                                               "hleg", "eu ethics guidelines")),
    (r"Hiroshima Process International Code of Conduct", ("hiroshima code of conduct", "g7 code of conduct",
                                                          "hiroshima code", "g7 code", "code of conduct")),
    (r"Hiroshima Process International Guiding Principles", ("hiroshima guiding principles", "g7 guiding principles",
                                                             "g7 principles", "guiding principles")),
    (r"Leaders' Statement on the Hiroshima", ("g7 leaders' statement", "hiroshima statement", "leaders' statement",
                                              "g7 statement")),
    (r"A/RES/78/265", ("resolution 78/265", "78/265", "un resolution", "un ai resolution", "general assembly resolution",
                       "un general assembly resolution", "un general assembly's ai resolution")),
    (r"pro-innovation approach to AI regulation", ("pro-innovation approach", "government response", "cp 1019",
                                                   "white paper response")),
    (r"AI Opportunities Action Plan", ("ai opportunities action plan", "uk action plan", "opportunities action plan",
                                       "uk ai action plan")),
    (r"America's AI Action Plan", ("america's ai action plan", "american ai action plan", "us ai action plan",
                                   "winning the race")),
    (r"Voluntary Commitments", ("voluntary commitments", "voluntary ai commitments", "white house fact sheet")),
    (r"National Security Memorandum", ("national security memorandum", "nsm", "ai nsm")),
    (r"Framework to Advance AI Governance", ("governance and risk management framework", "nsm framework",
                                             "framework to advance ai governance")),
    (r"Interim Measures for the Management of Generative", ("interim measures", "generative ai measures",
                                                            "genai measures", "generative ai interim measures")),
    (r"Colorado SB 24-205", ("colorado ai act", "colorado's ai act", "colorado act", "colorado's law", "colorado law",
                             "colorado's ai law", "sb 205")),
    (r"California SB 53", ("tfaia", "frontier ai act", "california's frontier ai law", "california frontier ai law",
                           "frontier ai law", "sb 53", "sb53", "senate bill 53")),
    (r"Preventing Woke AI", ("woke ai order", "preventing woke ai", "woke ai")),
    (r"Export of the American AI Technology Stack", ("ai technology stack", "american ai stack", "ai stack order")),
    (r"Data Center Infrastructure", ("data center order", "data center permitting", "data centre permitting")),
    (r"National Policy Framework for Artificial Intelligence", ("national policy framework",)),
)

_INSTRUMENT_HEAD = (
    r"(?:Act|Law|Bill|Directive|Regulation|Code|Convention|Measures|Guidelines|Ordinance|Decree|Declaration|"
    r"Commitments|Treaty|Pact|Statute|Charter|Rules|Strategy|Profile)"
)
_CAPITALISED_NAME = re.compile(
    rf"\b(?:the\s+)?(?P<name>(?:[A-Z][\w'’.-]*\s+|of\s+|and\s+|on\s+|for\s+){{1,8}}{_INSTRUMENT_HEAD})\b"
)
_POSSESSIVE_NAME = re.compile(
    r"\b(?P<name>(?P<owner>(?-i:[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?|[A-Z]{2,3}))['’]s\s+(?:[\w-]+\s+){0,5}?"
    r"(?:act|law|bill|directive|regulation|code|measures|guidelines|ordinance|decree|rules|strategy|framework))\b",
    re.IGNORECASE,
)
_NUMBERED = re.compile(
    r"\b(?P<name>(?:Executive\s+Order|E\.\s?O\.|EO)\s+(?:No\.\s*)?\d{5}|(?:SB|AB|HB|S\.B\.|H\.B\.)\s*[\d-]+|"
    r"Local\s+Law\s+\d+|PL\s+\d+/\d{4}|Bill\s+C-\d+|Regulation\s+\((?:EU|EC)\)\s+(?:No\s+)?\d+/\d+|"
    r"(?:resolution|A/RES/)\s*\d{2}/\d{1,4})",
    re.IGNORECASE,
)
_PROVISION = re.compile(
    r"\b(?P<kind>Articles?|Arts?\.?(?=\s*\d)|Recitals?|Annex(?:es)?|Sections?|Sec\.?(?=\s*\d)|§|Chapters?|Title)\s*"
    r"(?P<ref>\d{1,2}-\d{1,2}-\d{3,4}(?:\([0-9a-z]+\))*|[0-9]+[a-z]?(?:\.[0-9]+)*(?:\([0-9a-z]+\))*|[IVXLC]+\b)"
    r"|\b(?P<code>\d{1,2}-\d{1,2}-\d{3,4}(?:\([0-9a-z]+\))*)"
    r"|§\s*(?P<section>\d+(?:\.\d+)*)"
    r"|\b(?P<numbered>\d{5}\.\d{1,3})\b",  # a numbered code section written alone: "22757.13"
    re.IGNORECASE,
)
_KIND = {"article": "article", "articles": "article", "art.": "article", "art": "article", "arts.": "article",
         "arts": "article", "sec": "section", "recital": "recital", "recitals": "recital",
         "annex": "annex", "annexes": "annex", "section": "section", "sections": "section", "sec.": "section",
         "§": "section", "chapter": "chapter", "chapters": "chapter", "title": "title"}
_GENERIC = frozenset(
    "the a an of and on for in to ai artificial intelligence act law bill regulation regulations "
    "directive code measures rules guidelines ordinance decree statute new proposed draft national state "
    "federal order executive".split()
)
_LEADING_WORDS = re.compile(
    r"^(?:(?:do|does|did|is|are|was|were|can|could|should|would|will|what|how|which|why|when|who|whom|under|in|of|the|"
    r"and|or|per|from|by|with|about)\s+)+",
    re.IGNORECASE,
)
_STOP = frozenset(["a", "an", "and", "the", "of", "for", "in", "on", "to", "by", "with", "from", "its", "their"])
# Words too common in titles to name a document in a pair of title words.
_COMMON = _GENERIC | frozenset(
    "government united states america american leadership development use advancing promoting ensuring "
    "services systems system policy management framework approach process international organizations "
    "organisations advanced safe secure trustworthy risk security public federal consumer protections "
    "interactions opportunities".split()
)


@dataclass(frozen=True)
class Provision:
    kind: str  # article | recital | annex | section | chapter | title | code_section
    ref: str  # "50", "99(3)", "III", "4.2", "6-1-1703"
    text: str  # as written in the question

    @property
    def number(self) -> str:
        """The provision number without sub-paragraphs: "99(3)" -> "99"."""
        return re.split(r"[(.]", self.ref, maxsplit=1)[0] if self.kind != "code_section" else self.ref.split("(")[0]


@dataclass
class Understood:
    documents: list[tuple[str, str]] = field(default_factory=list)  # (document id, the name used)
    jurisdictions: list[str] = field(default_factory=list)
    provisions: list[Provision] = field(default_factory=list)
    unknown_instruments: list[str] = field(default_factory=list)  # named, but not in the corpus
    unknown_jurisdictions: list[str] = field(default_factory=list)  # named, but no document belongs to them
    subject_jurisdictions: list[str] = field(default_factory=list)  # whose own rules the question asks about
    families: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # (the words used, the documents
    # they describe together: "US executive orders", "NIST")
    described: list[str] = field(default_factory=list)  # documents found by a description, not by a name

    @property
    def document_ids(self) -> list[str]:
        return list(dict.fromkeys(d for d, _ in self.documents))

    def to_dict(self) -> dict[str, Any]:
        return {
            "documents": [{"document_id": d, "name": n} for d, n in self.documents],
            "jurisdictions": list(self.jurisdictions),
            "provisions": [{"kind": p.kind, "ref": p.ref, "text": p.text} for p in self.provisions],
            "not_in_corpus": list(self.unknown_instruments) + [
                f"documents of {_display(j)}" for j in self.unknown_jurisdictions],
        }


def _display(code: str) -> str:
    names = JURISDICTION_NAMES.get(code, (code,))
    name = max(names, key=len)
    return name.title() if name.islower() else name


def normalize(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class _Entry:
    document_id: str
    name: str  # normalized


class Lexicon:
    """The names of the stored documents; build once per set of documents."""

    def __init__(
        self,
        entries: list[_Entry],
        titles: dict[str, str],
        jurisdictions: dict[str, str],
        descriptions: Descriptions | None = None,
        cards: list[Card] | None = None,
    ):
        self.entries = sorted(entries, key=lambda e: -len(e.name))
        self.titles = titles
        self.jurisdictions = jurisdictions  # document id -> jurisdiction code
        self.descriptions = descriptions or Descriptions([], {})
        self.cards = {c.document_id: c for c in cards or []}
        self.describer = Describer(list(self.cards.values()), JURISDICTION_NAMES)
        self._patterns = [(e, re.compile(rf"(?<![\w/-]){re.escape(e.name)}(?![\w/-]|'s\b)")) for e in self.entries]
        self._patterns += [
            (e, re.compile(rf"(?<![\w/-]){re.escape(e.name)}'s\b")) for e in self.entries
        ]

    @classmethod
    def build(cls, documents: Iterable[tuple[str, str, dict[str, Any]]]) -> Lexicon:
        """``documents``: (id, title, metadata) of every stored document."""
        docs = list(documents)
        titles = {doc_id: title for doc_id, title, _ in docs}
        jurisdictions = {doc_id: str(meta.get("jurisdiction") or "").lower() for doc_id, _, meta in docs}
        names: dict[str, set[str]] = {doc_id: set() for doc_id, _, _ in docs}
        pair_owners: Counter[str] = Counter()
        pairs: dict[str, set[str]] = {}
        for doc_id, title, meta in docs:
            names[doc_id] |= _title_names(title)
            aliases = meta.get("aliases") or []
            names[doc_id] |= {normalize(str(a)) for a in (aliases if isinstance(aliases, list) else [aliases])}
            for pattern, short in _SHORT_NAMES:
                if re.search(pattern, title, re.IGNORECASE):
                    names[doc_id] |= set(short)
            pairs[doc_id] = _title_pairs(title)
            pair_owners.update(pairs[doc_id])
        for doc_id in names:  # word pairs found in one title only name that document
            names[doc_id] |= {p for p in pairs[doc_id] if pair_owners[p] == 1}
        owners: Counter[str] = Counter(n for ns in names.values() for n in ns)
        entries = [_Entry(doc_id, n) for doc_id, ns in names.items() for n in ns if owners[n] == 1 and len(n) >= 2]
        places = {name: code for code, ns in JURISDICTION_NAMES.items() for name in ns}
        cards = [_card(doc_id, title, meta) for doc_id, title, meta in docs]
        return cls(entries, titles, jurisdictions, Descriptions.build(docs, places), cards)

    def understand(self, question: str) -> Understood:
        text = normalize(question)
        out = Understood()
        taken: list[tuple[int, int]] = []
        for entry, pattern in self._patterns:
            for match in pattern.finditer(text):
                if any(match.start() < e and s < match.end() for s, e in taken):
                    continue
                taken.append((match.start(), match.end()))
                if any(d == entry.document_id for d, _ in out.documents):
                    continue
                out.documents.append((entry.document_id, question_span(question, text, match.start(), match.end())))
        out.jurisdictions = _jurisdictions(question)
        self._described(question, text, out, taken)
        self._families(question, text, out, taken)
        out.documents.sort(key=lambda d: text.find(normalize(d[1])))
        stored = set(self.jurisdictions.values())
        out.unknown_jurisdictions = [j for j in out.jurisdictions if j not in stored]
        out.subject_jurisdictions = [j for j in out.jurisdictions if _is_subject(text, JURISDICTION_NAMES[j])]
        out.provisions = provisions(question)
        out.unknown_instruments = self._unknown(question, text, taken)
        return out

    def _families(self, question: str, text: str, out: Understood, taken: list[tuple[int, int]]) -> None:
        """Several instruments described together ("the US executive orders", "state laws", "NIST"),
        see ``rag.descriptions``: each such family becomes one side of a comparison. A description
        that fits one document alone is ``_described``'s."""
        found = sorted(self.descriptions.find(text, taken), key=lambda f: f.kind is None)  # publishers last
        for family in found:
            if len(family.document_ids) < 2:
                continue
            if family.kind is None and any(d in family.document_ids for d in out.document_ids):
                continue  # "NIST" beside the NIST document named: its publisher, not another side
            taken.append((family.start, family.end))
            out.families.append((question_span(question, text, family.start, family.end), family.document_ids))

    def _described(self, question: str, text: str, out: Understood, taken: list[tuple[int, int]]) -> None:
        """Documents named by description ("the December 2025 order", "China's measures", "the AI
        act in Colorado", see ``rag.mentions``), and names read as another jurisdiction's instrument
        dropped: a description tied to a place overrides a name it contains ("AI act" in "the AI act
        in Colorado"), and a name that carries no place ("the AI act") is dropped when the question
        names a place with an instrument of that kind and no document of that place is named. A name
        in lowercase words without "the" ("guiding principles", "a data center") is read as a common
        noun when another document is named by a proper name or a number."""
        described: set[str] = set()
        for mention in self.describer.find(text, question):
            inside = [(d, n) for d, n in out.documents if _within(text, n, mention.start, mention.end)]
            if inside and not (mention.jurisdictions and any(
                    self.jurisdictions.get(d) not in mention.jurisdictions for d, _ in inside)):
                continue
            if any(s < mention.end and mention.start < e for s, e in taken) and not inside:
                continue
            out.documents = [d for d in out.documents if d not in inside]
            taken[:] = [(s, e) for s, e in taken if not (mention.start <= s and e <= mention.end)]
            if mention.document_id is not None and mention.document_id not in out.document_ids:
                out.documents.append((mention.document_id, question_span(question, text, mention.start, mention.end)))
                taken.append((mention.start, mention.end))
                described.add(mention.document_id)
                out.described.append(mention.document_id)
        places = [j for j in out.jurisdictions if j in set(self.jurisdictions.values()) and j != "international"]
        named_places = {self.jurisdictions.get(d) for d in out.document_ids}
        for doc_id, name in list(out.documents):
            norm = normalize(name)
            own = self.jurisdictions.get(doc_id, "")
            head = norm.split()[-1] if norm.split() else ""
            if _jurisdictions(name) or re.search(r"\d", norm) or own in places or _joined_to_place(text, norm):
                continue
            rivals = [j for j in places if j not in named_places and j != _PARENT.get(own) and any(
                c.jurisdiction == j and head_matches(head, c) for c in self.cards.values())]
            if rivals:
                out.documents.remove((doc_id, name))
        strong = [d for d, n in out.documents if re.search(r"[A-Z0-9]", n)]
        for doc_id, name in list(out.documents):
            at = text.find(normalize(name))
            weak = not re.search(r"[A-Z0-9]", name) and not re.search(
                r"(?:\bthe|'s|\bthis|\bthat)\s+(?:[\w-]+\s+){0,2}$", text[:max(at, 0)])
            if weak and at >= 0 and doc_id not in described and any(d != doc_id for d in strong):
                out.documents.remove((doc_id, name))  # "how many guiding principles does EO 14141 set": a common noun

    def _unknown(self, question: str, text: str, taken: list[tuple[int, int]]) -> list[str]:
        """Names in the question that look like instruments and match no stored document."""
        found: list[str] = []
        for pattern in (_NUMBERED, _CAPITALISED_NAME, _POSSESSIVE_NAME):
            for match in pattern.finditer(question):
                name = _LEADING_WORDS.sub("", match.group("name").strip())
                if pattern is _POSSESSIVE_NAME and self._describes_stored_rules(name):
                    continue
                start = text.find(normalize(name))
                if start >= 0 and any(s < start + len(name) and start < e for s, e in taken):
                    continue
                if self._names_stored(name):
                    continue
                if not any(name in f or f in name for f in found):
                    found.append(name)
        return found

    def _describes_stored_rules(self, name: str) -> bool:
        """"California's incident-reporting rules": a stored jurisdiction's rules described in
        lowercase words, not a named instrument ("Colorado's Privacy Act")."""
        owner, _, rest = name.partition("'s ") if "'s " in name else name.partition("’s ")
        places = set(_jurisdictions(owner))
        described = all(not w[:1].isupper() for w in rest.split()[:-1])
        return bool(places) and places <= set(self.jurisdictions.values()) and described

    def _names_stored(self, name: str) -> bool:

        """Whether most distinctive words of ``name`` belong to one stored title (or its jurisdiction)."""
        norm = normalize(name)
        words = {w for w in re.findall(r"[a-z0-9/-]+", norm.replace("'s", "")) if w not in _GENERIC and not w.isdigit()}
        places = set(_jurisdictions(name))
        for code in places:
            words -= {w for n in JURISDICTION_NAMES[code] for w in n.split()}
        stored_places = set(self.jurisdictions.values())
        if places and not places & stored_places:
            return False
        if not words:
            return bool(places) or not norm
        for doc_id, title in self.titles.items():
            if places and self.jurisdictions.get(doc_id) not in places | {_PARENT.get(p, p) for p in places}:
                continue
            title_words = set(re.findall(r"[a-z0-9/-]+", normalize(title)))
            if len(words & title_words) >= 0.75 * len(words):
                return True
        return False


def _joined_to_place(text: str, name: str) -> bool:
    """"the AI Act and Colorado": a name set beside a place, not read as that place's instrument."""
    places = "|".join(re.escape(n) for names in JURISDICTION_NAMES.values() for n in names if len(n) > 3)
    joins = r"\s*(?:,|and|or|vs\.?|versus|with|than)\s+(?:the\s+)?"
    return bool(re.search(rf"{re.escape(name)}{joins}(?:{places})\b|\b(?:{places})(?:'s)?{joins}{re.escape(name)}", text))


def _within(text: str, name: str, start: int, end: int) -> bool:
    """Whether ``name`` (as the question writes it) occurs in ``text[start:end]``."""
    return normalize(name) in text[start:end]


def _card(doc_id: str, title: str, meta: dict[str, Any]) -> Card:
    doc_type = str(meta.get("doc_type") or "").lower()
    words = set(re.findall(r"[a-z0-9][a-z0-9'-]*", normalize(title))) | set(doc_type.split("_"))
    return Card(doc_id, str(meta.get("jurisdiction") or "").lower(), normalize(str(meta.get("publisher") or "")),
                str(meta.get("date") or ""), doc_type, frozenset(words))


def question_span(question: str, text: str, start: int, end: int) -> str:
    """The words of the original question behind ``text[start:end]`` (normalization keeps lengths
    except for collapsed spaces, so fall back to the normalized words)."""
    if normalize(question) == text and len(question) == len(text):
        return question[start:end]
    return text[start:end]


def _title_names(title: str) -> set[str]:
    norm = normalize(title)
    names = {norm}
    names |= {normalize(part) for part in re.split(r":\s+", title) if len(part.split()) >= 3}
    names |= {normalize(p) for p in re.findall(r"\(([^()]{3,80})\)", title) if not p.lower().startswith("english")}
    for number in re.findall(r"Executive Order (\d{5})", title):
        names |= {f"executive order {number}", f"eo {number}", f"e.o. {number}", f"order {number}", number}
    for number in re.findall(r"\b(\d{4}/\d{3,4})\b", title):
        names |= {number, f"regulation {number}", f"regulation (eu) {number}"}
    for number in re.findall(r"\bAI (\d{3}-\d)\b", title):
        names |= {f"ai {number}", f"nist ai {number}"}
    for bill in re.findall(r"\bSB\s?(\d{2}-\d{3}|\d{1,4})\b", title):
        names |= {f"sb {bill}", f"sb{bill}", f"sb-{bill}"}
    return {n for n in names if n}


def _title_pairs(title: str) -> set[str]:
    words = re.findall(r"[a-z0-9'-]+", normalize(title))
    out = set()
    for a, b in itertools.pairwise(words):
        if a in _STOP or b in _STOP or a in _COMMON or b in _COMMON:
            continue
        out.add(f"{a} {b}")
    return out


def _jurisdictions(question: str) -> list[str]:
    """Jurisdiction codes named in ``question``; short names ("US", "UN") only when written in capitals."""
    lowered = normalize(question)
    found = []
    for code, names in JURISDICTION_NAMES.items():
        for name in names:
            short = len(name.replace(".", "")) <= 3
            where, wanted = (question, name.upper()) if short else (lowered, name)
            if re.search(rf"(?<![\w.]){re.escape(wanted)}(?![\w]|\.\w)", where):
                found.append(code)
                break
    return found


_SUBJECT = (r"(?:{name})(?:'s\b|\s+(?:law|laws|act|bill|rules|regulat\w*|government|parliament|legislat\w*|"
            r"ministry|authorit\w*|courts?)\b)|\b(?:in|of|does|do|did)\s+(?:{name})\b(?!\s+(?:and|or)\b)")


def _is_subject(text: str, names: tuple[str, ...]) -> bool:
    """Whether the (normalized) question asks about a jurisdiction's own rules: "Japan's", "in Japan",
    "Japan regulate...", "Texas law"."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    if re.search(_SUBJECT.format(name=alternatives), text):
        return True
    return bool(re.search(rf"\b(?:{alternatives})\s+(?:regulate|regulates|govern|governs|require|requires)\b", text))


def provisions(question: str) -> list[Provision]:
    out: list[Provision] = []
    for match in _PROVISION.finditer(question):
        if match.group("code"):
            out.append(Provision("code_section", match.group("code"), match.group()))
        elif match.group("section") or match.group("numbered"):
            out.append(Provision("section", match.group("section") or match.group("numbered"), match.group().strip()))
        else:
            kind = _KIND[match.group("kind").lower()]
            ref = match.group("ref")
            if kind == "section" and re.match(r"\d{1,2}-\d{1,2}-\d{3,4}", ref):  # "section 6-1-1703": a code section
                out.append(Provision("code_section", ref, match.group().strip()))
                continue
            if kind in ("article", "recital", "section") and not ref[0].isdigit():
                continue
            out.append(Provision(kind, ref.upper() if kind in ("annex", "chapter", "title") else ref, match.group().strip()))
    return out


_INVENTORY = {
    "article": re.compile(r"(?mi)^\W{0,4}Article\s+(\d+[a-z]?)\b"),
    "section": re.compile(r"\b(?:Sec(?:tion)?\.?|SEC\.)\s+(\d+(?:\.\d+)*)(?=[.\s])"),
    "code_section": re.compile(r"\b(\d{1,2}-\d{1,2}-\d{3,4})\b"),
    "annex": re.compile(r"(?mi)^\W{0,4}ANNEX\s+([IVXLC]+)\b"),
    "chapter": re.compile(r"(?mi)^\W{0,4}CHAPTER\s+([IVXLC]+)\b"),
    "recital": re.compile(r"(?m)^\((\d{1,3})\)"),
}


def provision_inventory(text: str) -> dict[str, frozenset[str]]:
    """The provision numbers a document's text has, by kind (markup left out)."""
    plain = re.sub(r"<[^>]+>", "", text)
    return {kind: frozenset(m.upper() if kind in ("annex", "chapter") else m for m in pattern.findall(plain))
            for kind, pattern in _INVENTORY.items()}
