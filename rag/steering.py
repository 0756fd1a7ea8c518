"""How what a question names steers retrieval.

    steer = plan(understood, question, facts, sections)
    steer.only        # search these documents alone (one instrument, confidently named)
    steer.boost       # documents whose chunks rank higher (named, but not alone)
    steer.sides       # a comparison: retrieve for each instrument or jurisdiction apart
    steer.provisions  # (document id, provision) pairs whose chunks rank first

A provision reference ("Article 50", "Art. 99(3)", "Section 4.2", "6-1-1703",
"Annex III") is looked up in the named instrument, or, with none named, in the
one stored document that has it. Chunks record their section path ("Chapter IV >
Article 50", sentences down to "paragraph 3"), so the provision's chunks are
found by their path, not by searching for its words.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .status_answers import asks_about_status
from .store.derived import Derived
from .store.documents import DocumentStore
from .understanding import JURISDICTION_NAMES, Provision, Understood, normalize

__all__ = ["Side", "Steer", "SectionMap", "plan", "provision_keys", "names_used", "without_names"]

# Words that ask to set instruments side by side.
_COMPARE = re.compile(
    r"\b(?:compar\w*|differ\w*|versus|vs\.?|both|each|same (?:way|as)|similar\w*|contrast\w*|alike|"
    r"relate[sd]? to|in common|whereas)\b",
    re.IGNORECASE,
)
# Jurisdictions named loosely ("global", "international", "federal") do not make a side of their own.
_LOOSE_NAMES = frozenset({"international", "global", "federal", "american", "european", "europe", "washington"})
_JOINED = re.compile(
    r"^\s*(?:,|and|or|&|vs\.?|versus|,\s*and|,\s*or)\s*(?:(?:for|in|under|of|by|from|with|to)\s+)?(?:the\s+)?$"
)


@dataclass(frozen=True)
class Side:
    """One instrument, or one jurisdiction's documents, of a comparison."""

    label: str
    document_ids: tuple[str, ...]


@dataclass(frozen=True)
class Steer:
    only: tuple[str, ...] | None = None
    boost: tuple[str, ...] = ()
    sides: tuple[Side, ...] = ()
    provisions: tuple[tuple[str, Provision], ...] = ()
    spans: tuple[tuple[str, int, int], ...] = ()  # (document id, start, end) of sentences the answer stands on
    query: str | None = None  # the question without the names steering already acts on, for searches within documents
    scored_as: str | None = None  # the same, for scoring answer sentences when the search was steered by names
    reasons: tuple[str, ...] = field(default=(), compare=False)

    @property
    def active(self) -> bool:
        return bool(self.only or self.boost or self.sides or self.provisions or self.spans)


# ---------------------------------------------------------------- sections of the stored chunks


def provision_keys(label: str) -> list[tuple[str, str]]:
    """The provisions one section label names: "Article 50" -> [("article", "50")],
    "Section 6-1-1703" -> [("section", "6-1-1703"), ("code_section", "6-1-1703")]."""
    match = re.match(r"^(Article|Annex|Section|Recital|Chapter|Part|paragraph)\s+(\S+)$", label.strip())
    if not match:
        return []
    kind, ref = match.group(1).lower(), match.group(2)
    keys = [(kind, ref.upper() if kind in ("annex", "chapter") else ref)]
    if kind == "section" and re.fullmatch(r"\d{1,2}-\d{1,2}-\d{3,5}", ref):
        keys.append(("code_section", ref))
    return keys


@dataclass(frozen=True)
class _Located:
    chunk_id: str
    ordinal: int
    paragraphs: frozenset[str]  # numbered paragraphs ("3") inside the chunk


class SectionMap:
    """Which chunks hold each provision of each document, read from the chunks' section paths.
    Read once, and again whenever the stored documents change."""

    def __init__(self, store: DocumentStore):
        self.store = store
        self._built: Derived[dict[tuple[str, str, str], list[_Located]]] = Derived(store, self._read, {})

    def _index(self) -> dict[tuple[str, str, str], list[_Located]]:
        """The index, read again only when a document has been added, changed or removed."""
        return self._built.get()

    def _read(self) -> dict[tuple[str, str, str], list[_Located]]:
        index: dict[tuple[str, str, str], list[_Located]] = {}
        with self.store.connection() as db:
            rows = db.execute("SELECT id, document_id, ordinal, section, sentences FROM chunks").fetchall()
        for row in rows:
            labels: list[str] = row["section"].split(" > ") if row["section"] else []
            paragraphs: set[str] = set()
            deeper: set[str] = set()
            for sentence in json.loads(row["sentences"]):
                path = (sentence[2] or "").split(" > ")
                deeper.update(path)
                paragraphs.update(p.split()[1] for p in path if p.startswith("paragraph "))
            located = _Located(row["id"], int(row["ordinal"]), frozenset(paragraphs))
            for label in set(labels) | {d for d in deeper if not d.startswith("paragraph ")}:
                for kind, ref in provision_keys(label):
                    index.setdefault((row["document_id"], kind, ref), []).append(located)
        for members in index.values():
            members.sort(key=lambda m: m.ordinal)
        return index

    def chunks_of(self, document_id: str, provision: Provision) -> tuple[list[str], list[str]]:
        """The ids of the chunks holding ``provision`` in ``document_id``, in reading order: those
        holding the paragraph it cites ("Art. 99(3)": paragraph 3), then the others ([] and []
        when the document has no such part). Without a cited paragraph every chunk is in the first list."""
        index = self._index()
        kinds = [provision.kind] + (["section"] if provision.kind == "code_section" else [])
        refs = [provision.ref.split("(")[0]]
        if provision.number not in refs:
            refs.append(provision.number)  # "Section 4.2" falls back to Section 4
        found: list[_Located] = []
        for ref in refs:
            for kind in kinds:
                found = index.get((document_id, kind, ref), [])
                if found:
                    break
            if found:
                break
        paragraph = re.search(r"\((\d+)\)", provision.ref)
        if not paragraph:
            return [m.chunk_id for m in found], []
        exact = [m.chunk_id for m in found if paragraph.group(1) in m.paragraphs]
        return exact, [m.chunk_id for m in found if paragraph.group(1) not in m.paragraphs]

    def has(self, document_id: str, provision: Provision) -> bool:
        exact, rest = self.chunks_of(document_id, provision)
        return bool(exact or rest)


# ---------------------------------------------------------------- the plan


def plan(
    understood: Understood,
    question: str,
    documents: dict[str, dict],
    sections: SectionMap,
    allowed: list[str] | None = None,
    filter_one: bool = True,
    spans: list[tuple[str, int, int]] | None = None,
) -> Steer:
    """How to steer the search for ``question``. ``documents``: each stored document's metadata
    (``title``, ``jurisdiction``, ``doc_type``); ``allowed``: the documents the request's filters
    leave (None: all); ``filter_one``: search a confidently named lone instrument alone (else raise it);
    ``spans``: sentences whose chunks come first (the revoking sentence or application dates a
    status answer quotes, see ``rag.status_answers.status_evidence``)."""
    titles = {d: str(m.get("title") or d) for d, m in documents.items()}
    jurisdictions = {d: str(m.get("jurisdiction") or "").lower() for d, m in documents.items()}
    reports = {d for d, m in documents.items() if str(m.get("doc_type") or "").lower() == "news"}
    keep = set(titles) if allowed is None else set(allowed) & set(titles)
    named = [d for d in understood.document_ids if d in keep]
    reasons: list[str] = []
    sides = _sides(understood, question, named, jurisdictions, titles, keep - reports)
    only: tuple[str, ...] | None = None
    boost: tuple[str, ...] = ()
    if asks_about_status(question) == "status":
        sides, named = (), []  # whether a named document still holds is said by the documents that revoke it
        reasons.append("status question: not steered by the names")
    if sides:
        reasons.append("comparison: " + " | ".join(s.label for s in sides))
    elif filter_one and len(named) == 1 and not _comparing(question, understood) and _confident(
        understood, question, named[0], jurisdictions
    ):
        only = (named[0],)
        reasons.append(f"one instrument: {named[0]}")
    elif named:
        boost = tuple(named)
        reasons.append("named: " + ", ".join(named))
    provisions: list[tuple[str, Provision]] = []
    for provision in understood.provisions:
        holder = _holder(provision, named, understood, jurisdictions, keep, sections)
        if holder is not None:
            provisions.append((holder, provision))
            reasons.append(f"provision: {provision.text} of {holder}")
    kept_spans = tuple(s for s in spans or () if s[0] in keep)
    if kept_spans:
        reasons.append("status evidence: " + ", ".join(sorted({d for d, _, _ in kept_spans})))
    stripped = without_names(question, understood) if (sides or only or boost) else None
    query = stripped if sides else None
    return Steer(only, boost, sides, tuple(provisions), kept_spans, query or None, stripped or None, tuple(reasons))


def names_used(understood: Understood) -> list[str]:
    """The words a question uses to name instruments, families of them and jurisdictions."""
    names = [n for _, n in understood.documents] + [n for n, _ in understood.families]
    for code in understood.jurisdictions:
        names += [n for n in JURISDICTION_NAMES.get(code, ()) if len(n) > 3 or n in ("eu", "us", "uk")]
    return names


def without_names(question: str, understood: Understood) -> str:
    """``question`` without the instrument and jurisdiction names it uses: a search already held
    within the named documents finds only noise in them ("Colorado's", "the EU AI Act")."""
    names = [re.escape(n) for n in names_used(understood)]
    if not names:
        return question
    pattern = r"(?<![\w.])(?:the\s+)?(?:" + "|".join(sorted(names, key=len, reverse=True)) + r")(?:['’]s)?(?![\w])"
    stripped = re.sub(pattern, " ", question, flags=re.IGNORECASE)
    stripped = " ".join(stripped.split())
    return stripped if len(stripped.split()) >= 2 else question


def _confident(understood: Understood, question: str, document_id: str, jurisdictions: dict[str, str]) -> bool:
    """Whether the question is about ``document_id`` alone: it is named by a proper name (a capital
    letter or a number in the words used) and no other jurisdiction comes up."""
    name = next((n for d, n in understood.documents if d == document_id), "")
    if not re.search(r"[A-Z0-9]", name) or understood.unknown_instruments or document_id in understood.described:
        return False
    own = jurisdictions.get(document_id, "")
    others = [j for j in understood.jurisdictions if j != own and _PARENT_OF.get(own) != j and j != "international"]
    return not others


_PARENT_OF = {"us-ca": "us", "us-co": "us"}


def _sides(
    understood: Understood,
    question: str,
    named: list[str],
    jurisdictions: dict[str, str],
    titles: dict[str, str],
    keep: set[str],
) -> tuple[Side, ...]:
    """The instruments, families of instruments ("US executive orders", "NIST") or jurisdictions a
    comparison sets side by side (() when it is no comparison). A family leaves out the members
    that are a side of their own ("the NIST RMF and NIST's other guidance")."""
    sides = [Side(_short(titles[d]), (d,)) for d in named]
    for words, members in understood.families:
        rest = tuple(d for d in members if d in keep and d not in named)
        if rest and not any(set(rest) <= set(side.document_ids) for side in sides):
            sides.append(Side(words, rest))
    covered = {jurisdictions.get(d, "") for side in sides for d in side.document_ids}
    places = _side_jurisdictions(question, understood)
    if not (len(named) >= 2 or _comparing(question, understood)):
        return ()
    for code in places:
        if code in covered or any(_PARENT_OF.get(c) == code for c in covered):
            continue
        members = tuple(sorted(d for d in keep if jurisdictions.get(d) == code))
        if members:
            sides.append(Side(_place_name(code), members))
            covered.add(code)
    return tuple(sides) if len(sides) >= 2 else ()


def _comparing(question: str, understood: Understood) -> bool:
    """Whether the question sets things side by side ("compare", "both", "X and Y"): then it is not
    about one instrument alone, even when only one of the things is recognised."""
    return bool(_COMPARE.search(question)) or _joined(question, understood)


def _side_jurisdictions(question: str, understood: Understood) -> list[str]:
    """Jurisdictions named firmly enough to be a side (not by "global" or "federal")."""
    text = normalize(question)
    out = []
    for code in understood.jurisdictions:
        names = [n for n in JURISDICTION_NAMES.get(code, ()) if n not in _LOOSE_NAMES]
        if any(re.search(rf"(?<![\w.]){re.escape(n)}(?![\w])", text if len(n) > 3 else question.lower()) for n in names):
            out.append(code)
    return out


def _joined(question: str, understood: Understood) -> bool:
    """Two named things joined by "and", "or" or a comma ("China and Colorado", "the US and EU")."""
    text = normalize(question)
    spans = []
    for name in [n for _, n in understood.documents] + [n for n, _ in understood.families]:
        at = text.find(normalize(name))
        if at >= 0:
            spans.append((at, at + len(name)))
    for code in understood.jurisdictions:
        for name in JURISDICTION_NAMES.get(code, ()):
            for match in re.finditer(rf"(?<![\w.]){re.escape(name)}(?:'s)?(?![\w])", text):
                spans.append((match.start(), match.end()))
    spans.sort()
    return any(_JOINED.match(text[a[1]:b[0]]) for a, b in zip(spans, spans[1:]) if b[0] >= a[1])


def _holder(
    provision: Provision,
    named: list[str],
    understood: Understood,
    jurisdictions: dict[str, str],
    keep: set[str],
    sections: SectionMap,
) -> str | None:
    """The one document whose ``provision`` the question means, or None when that is unclear."""
    if provision.kind == "title":
        return None
    scope = named or sorted(keep)
    holders = [d for d in scope if sections.has(d, provision)]
    if len(holders) > 1 and not named and understood.jurisdictions:
        holders = [d for d in holders if jurisdictions.get(d) in understood.jurisdictions]
    return holders[0] if len(holders) == 1 else None


def _short(title: str) -> str:
    """A title's short form: its name in brackets, or the part before a colon unless that
    part only says what kind of text it is ("Executive Order: Preventing Woke AI...")."""
    inner = re.search(r"\(([^()]{3,60})\)\s*$", title)
    if inner and not inner.group(1).lower().startswith("english"):
        return inner.group(1)
    head, _, rest = title.partition(": ")
    if rest and len(head.split()) <= 2 and not re.search(r"\d", head):
        return rest
    return head


def _place_name(code: str) -> str:
    names = JURISDICTION_NAMES.get(code, (code,))
    if code in ("eu", "us", "uk"):
        return code.upper()
    return max(names, key=len).title()
