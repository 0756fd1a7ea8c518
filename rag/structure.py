"""Find a document's own structure: headings, chapters, sections, articles,
annexes, recitals and numbered paragraphs.

Each boundary is a ``Heading`` at a character offset. Levels order them
(1 = chapter/annex/part, 2 = section, 3 = article or code section,
Markdown headings keep their own depth); ``paragraph`` boundaries are soft:
chunks may span several paragraphs, citations still name them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .types import Heading

SOFT_KINDS = frozenset({"paragraph"})
PARAGRAPH_LEVEL = 9

_LEAD = r"^[^\S\n]*(?:<[^>\n]{0,200}>)?[^\S\n]*(?:[-*][^\S\n]+)?(?:\*\*)?[^\S\n]*"


@dataclass(frozen=True)
class _Rule:
    kind: str
    level: int
    pattern: re.Pattern[str]
    label: str  # format string over the match's groups


def _rule(kind: str, level: int, body: str, label: str, flags: int = 0) -> _Rule:
    return _Rule(kind, level, re.compile(_LEAD + body, re.MULTILINE | flags), label)


_RULES: tuple[_Rule, ...] = (
    _rule("chapter", 1, r"CHAPTER[^\S\n]+([IVXLC]+|\d+)\b[^\S\n]*:?[^\S\n]*(.{0,120})$", "Chapter {0}"),
    _rule("annex", 1, r"ANNEX[^\S\n]+([IVXLC]+)\b[^\S\n]*(.{0,120})$", "Annex {0}"),
    _rule("part", 1, r"PART[^\S\n]+(\d+|[IVXLC]+|[A-Z])\b[^\S\n]*(.{0,120})$", "Part {0}"),
    _rule("chapter", 1, r"([IVX]{1,4})\.[^\S\n]+(?:Chapter [IVX]+:[^\S\n]*)?([A-Z][^.\n]{2,100})$", "Chapter {0}"),
    _rule("section", 2, r"SECTION[^\S\n]+(\d+)[^\S\n]*$", "Section {0}"),
    _rule("section", 2, r"(?:SECTION|Section|SEC\.|Sec\.)[^\S\n]+(\d+[A-Za-z]?)\.(?:\*\*)?[^\S\n]*(?:\*\*)?([^\n.]{0,100})", "Section {0}"),
    _rule("section", 3, r"(\d{1,2}\.\d{1,2})\.[^\S\n]+([A-Z][^\n]{2,100})$", "Section {0}"),
    _rule("section", 3, r"(\d{4,6}\.\d{1,3})\.[^\S\n]", "Section {0}"),
    _rule("section", 3, r"(\d{1,2}-\d{1,2}-\d{3,5})\.[^\S\n]+([^\n.]{0,100})", "Section {0}"),
    _rule("article", 3, r"Article[^\S\n]+(\d+[a-z]?)(?:\*\*)?[^\S\n]*(?::|\*\*|$)", "Article {0}"),
    _rule("paragraph", PARAGRAPH_LEVEL, r"(\d{1,3})\.[^\S\n]+(?=\S)", "paragraph {0}"),
)

_MD_HEADING = re.compile(r"^ {0,3}(#{1,6})[^\S\n]+(.+?)[ \t#]*$", re.MULTILINE)
# A list item that a PDF-to-Markdown conversion turned into a heading: "(Q) WEB HOSTING ...; OR"
_LIST_ITEM = re.compile(r"^\(?[A-Za-z0-9]{1,4}\)\s|.*(;|;\s*(OR|AND|or|and))$")
_RECITAL = re.compile(r"^[^\S\n]*\((\d{1,3})\)[^\S\n]*$", re.MULTILINE)


def find_headings(text: str) -> list[Heading]:
    """Every structural boundary of ``text``, in order of position (one per line at most)."""
    found: dict[int, Heading] = {}
    for match in _MD_HEADING.finditer(text):
        label = _clean_label(match.group(2))
        if label and not _LIST_ITEM.match(label):
            found[match.start()] = Heading(match.start(), len(match.group(1)), label, "heading")
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            if match.start() in found:
                continue
            label = rule.label.format(*match.groups())
            found[match.start()] = Heading(match.start(), rule.level, label, rule.kind)
    first_article = min((h.start for h in found.values() if h.kind == "article"), default=None)
    if first_article is not None:
        for match in _RECITAL.finditer(text, 0, first_article):
            found.setdefault(match.start(), Heading(match.start(), 3, f"Recital {match.group(1)}", "recital"))
    headings = sorted((h for h in found.values() if not _contents_entry(text, h)), key=lambda h: h.start)
    return _drop_numbered_noise(headings)


_LABEL_LEAD = re.compile(r"^\W*(?:[A-Za-z]+\.?[^\S\n]+)?[\dIVXLC]+(?:[.\-]\d+)*\.?")
_PAGE_NUMBER = re.compile(r"[^\S\n]\d{1,3}[^\S\n]*$")


def _contents_entry(text: str, heading: Heading) -> bool:
    """A line of a table of contents ("6.10. AI sandboxes and testbeds 60"): its title ends in a page
    number and holds no sentence. Taken for a heading, it would put all that follows the contents
    under the last entry."""
    if heading.kind in ("paragraph", "recital", "heading"):
        return False
    end = text.find("\n", heading.start)
    line = text[heading.start:end if end >= 0 else len(text)]
    title = _LABEL_LEAD.sub("", line, count=1)
    if end >= 0 and not _PAGE_NUMBER.search(title):  # an entry's title may wrap onto a second line
        following = text[end + 1:text.find("\n", end + 1) if text.find("\n", end + 1) >= 0 else len(text)]
        title = f"{title} {following}"
    page = _PAGE_NUMBER.search(title)
    return page is not None and "." not in title and re.search(r"[A-Za-z]{3}", title[:page.start()]) is not None


def _clean_label(raw: str) -> str:
    label = re.sub(r"[*_`]+", "", raw).strip()
    return " ".join(label.split())[:100]


def _drop_numbered_noise(headings: list[Heading]) -> list[Heading]:
    """Numbered paragraphs count only in documents that number them in order; a
    stray "3. " at a line start elsewhere is list noise."""
    paragraphs = [h for h in headings if h.kind == "paragraph"]
    if len(paragraphs) < 3:
        return [h for h in headings if h.kind != "paragraph"]
    return headings


class SectionIndex:
    """Answers "which section path holds this offset?" for one document."""

    def __init__(self, text: str, headings: list[Heading]):
        self.headings = headings
        self._starts = [h.start for h in headings]
        self._paths: list[tuple[Heading, ...]] = []
        stack: list[Heading] = []
        for heading in headings:
            while stack and stack[-1].level >= heading.level:
                stack.pop()
            stack.append(heading)
            self._paths.append(tuple(stack))

    def path_at(self, offset: int) -> tuple[Heading, ...]:
        import bisect

        i = bisect.bisect_right(self._starts, offset) - 1
        return self._paths[i] if i >= 0 else ()

    def paths_within(self, start: int, end: int) -> list[tuple[Heading, ...]]:
        """The section path at ``start`` and that of every heading starting before ``end``."""
        import bisect

        first, last = bisect.bisect_right(self._starts, start), bisect.bisect_left(self._starts, end)
        return [self.path_at(start), *self._paths[first:last]]

    @staticmethod
    def label(path: tuple[Heading, ...]) -> str | None:
        return " > ".join(h.label for h in path) or None


def kind_of(path: tuple[Heading, ...]) -> str:
    """operative (an article or section), recital, annex, preamble or body."""
    kinds = {h.kind for h in path}
    if "recital" in kinds:
        return "recital"
    if "annex" in kinds:
        return "annex"
    if "article" in kinds or "section" in kinds:
        return "operative"
    return "body"


# ---------------------------------------------------------------- titles, references and definitions

TITLED_KINDS = frozenset({"chapter", "annex", "part", "section", "article"})
_TITLE_LEAD = re.compile(
    r"^[\s#*>-]*(?:(?:CHAPTER|Chapter|ANNEX|Annex|PART|Part|SECTION|Section|SEC\.|Sec\.|Article)[^\S\n]+)?"
    r"(?:[IVXLC]+|\d+(?:[.-]\d+)*[A-Za-z]?)\b[.:]?[^\S\n]*(?:Chapter [IVX]+:[^\S\n]*)?"
)
# A sentence, not a title: it opens with a clause or holds a verb a title does not.
_NOT_A_TITLE = re.compile(
    r"^(?:\(|(?:The|These|This|That|An?|In|For|To|Where|When|If)\b)"
    r"|\b(?:is|are|be|shall|should|must|may|means|apply|applies|add|added|finds|declares|does)\b|[;,]$"
)
MAX_TITLE = 100


def heading_titles(text: str, headings: list[Heading]) -> dict[str, str]:
    """Label -> title of each chapter, annex, part, section and article of ``text``
    ("Chapter II" -> "Prohibited AI practices"): the words after the label on its line,
    else the next line when it is short. The first heading of a label wins."""
    titles: dict[str, str] = {}
    for heading in headings:
        if heading.kind not in TITLED_KINDS or heading.label in titles:
            continue
        line_end = text.find("\n", heading.start)
        line_end = len(text) if line_end < 0 else line_end
        rest = _TITLE_LEAD.sub("", text[heading.start:line_end], count=1)
        rest = re.split(r"(?<=[A-Za-z)])\.(?:\s|$)", rest, maxsplit=1)[0]
        title = " ".join(re.sub(r"[*_`]+", "", rest).split())
        if len(re.findall(r"[A-Za-z]", title)) < 3:
            following = text[line_end:line_end + 400].lstrip()
            title = " ".join(re.sub(r"[*_`]+", "", following.split("\n", 1)[0]).split()) if following else ""
        if 3 <= len(title) <= MAX_TITLE and not _NOT_A_TITLE.search(title):
            titles[heading.label] = title.rstrip(".:")
    return titles


_REF_NUMBER = r"(?:[IVXLC]+\b|\d+(?:-\d+-\d+|\.\d+)?[a-z]?)(?:\(\d+\))*"
_REFERENCE = re.compile(
    rf"\b(Chapters?|Articles?|Annex(?:es)?|Sections?|Parts?)[^\S\n]+"
    rf"({_REF_NUMBER}(?:(?:[^\S\n]*,[^\S\n]*|[^\S\n]+(?:and|or|to)[^\S\n]+){_REF_NUMBER})*)"
    r"(?![^\S\n]+of[^\S\n]+(?:Regulation|Directive|Decision|the Treaty|TFEU|the TFEU|that|those|the Charter|Council|Title|title|Public Law))",
    re.IGNORECASE,
)
_KIND_WORD = {"chapter": "Chapter", "article": "Article", "annex": "Annex", "section": "Section", "part": "Part"}
MAX_RANGE = 20  # "Articles 8 to 15" names each article; a longer range names its two ends


def references(text: str, titles: dict[str, str], own: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """The provisions of the same document that ``text`` refers to, as "Label Title" strings,
    in order of first mention ("Chapters I and II" -> ["Chapter I General provisions",
    "Chapter II Prohibited AI practices"]). References to other acts ("Chapter II of Regulation
    (EU) 2022/2065"), to the text's own provisions (``own``) and to unknown labels are left out."""
    found: dict[str, str] = {}
    for match in _REFERENCE.finditer(text):
        word = match.group(1).lower().rstrip("s")
        word = "annex" if word.startswith("annex") else word
        kind = _KIND_WORD[word]
        numbers = re.findall(r"[IVXLC]+\b|\d+(?:-\d+-\d+|\.\d+)?[a-z]?", match.group(2))
        if re.search(r"\bto\b", match.group(2), re.IGNORECASE) and len(numbers) == 2 and all(n.isdigit() for n in numbers):
            low, high = int(numbers[0]), int(numbers[1])
            if 0 < high - low <= MAX_RANGE:
                numbers = [str(n) for n in range(low, high + 1)]
        for number in numbers:
            label = f"{kind} {number.upper() if kind in ('Chapter', 'Annex') else number}"
            if label in own or label in found or label not in titles:
                continue
            found[label] = f"{label} {titles[label]}"
    return list(found.values())


_DEFINITION = re.compile(
    r"^[\s\-*]*(?:\((?:\d{1,3}|[a-z]{1,4}|[A-Z]{1,4})\)\s*){0,3}(?:The term\s+)?"
    r"[\"\u201c\u2018']([^\"\u201d\u2019'\n]{2,80})[\"\u201d\u2019']"
    r"(?:\s+(?:or|and)\s+[\"\u201c\u2018'][^\"\u201d\u2019'\n]{1,40}[\"\u201d\u2019'])?,?\s+"
    r"(?:means|has the (?:same )?meaning|refers to|shall mean|includes|is defined)\b",
    re.IGNORECASE,
)


def defined_term(sentence: str) -> str | None:
    """The term a definition sentence defines ("(60) ‘deep fake’ means ..." -> "deep fake"), else None."""
    match = _DEFINITION.match(sentence)
    if not match:
        return None
    term = " ".join(match.group(1).split())
    return term.lower() if term.isupper() else term
