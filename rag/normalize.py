"""Text normalization: the one step that turns extracted text into the text the
service stores, indexes and quotes.

Every offset anywhere in the service (chunks, sentences, citations, pages)
refers to the text this module returns, so it runs exactly once per document,
before anything else looks at the text. The steps, in order:

1. ``basic``: ``\\n`` line endings, Unicode NFC, byte-order marks, NUL bytes and
   soft hyphens removed.
2. ``page markers`` (text and Markdown): the page-break lines a PDF conversion
   leaves ("---- Page 4 ----", "{3}-----...") leave the text, and so do the
   running header and footer lines beside them (a line that recurs next to at
   least three markers once its digits are ignored). The pages stay known
   through the page map (``PageSpan`` list) returned with the text. A page that
   ends mid-sentence joins the next one with a line break, otherwise with a
   blank line.
3. ``markup`` (text and Markdown): HTML remnants (tags of a fixed list of
   element names, comments, character entities; ``<sup>n</sup>`` becomes
   ``^n`` so "10<sup>26</sup>" stays "10^26") and Markdown debris (images,
   link targets, ``**bold**``/``__bold__``/``*italic*`` markers, unpaired
   ``**``) go; the words
   they wrapped stay.
4. ``hyphenation``: a word broken at a line end ("recommenda-\\ntion") or
   broken with a stray space ("illus- trated") is joined when the piece before
   the hyphen ends in a lowercase letter and the continuation starts with one.
   The hyphen is kept when the document writes the compound with a hyphen
   elsewhere, or the first piece is a prefix that takes one ("non-", "high-");
   suspended hyphens ("long- or short-term") are left alone. No dictionary:
   the evidence is the document's own vocabulary.
5. ``punctuation``: stray spaces before "," ";" ":" and a sentence's "." are
   dropped ("GOVERN ,MAP ," becomes "GOVERN, MAP,").
6. ``blank lines``: runs of blank lines left by removed lines become one;
   blank lines and spaces around the whole text go.

Normalizing normalized text changes nothing, so a stored document can be
normalized again when these rules change (``rag reindex``).
"""

from __future__ import annotations

import bisect
import html
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .types import PageSpan

__all__ = ["Normalized", "normalize", "normalize_characters", "normalize_text", "pages_from_markers"]


@dataclass(frozen=True)
class Normalized:
    text: str
    pages: list[PageSpan]


def normalize(
    text: str,
    *,
    pages: Sequence[PageSpan] = (),
    markers: bool = True,
    markup: bool = True,
) -> Normalized:
    """Normalize ``text``; ``pages`` (a page map of ``text``) follows the edits.

    ``markers``: read page markers into the page map and remove them (text and
    Markdown; a page map found this way replaces ``pages``). ``markup``: remove
    HTML and Markdown remnants (not for text an HTML parser already produced).
    """
    text = normalize_characters(text)
    work = _Edited(text, pages)
    if markers:
        _remove_page_markers(work)
    if markup:
        work.sub(_COMMENT, "")
        work.sub(_IMAGE, "")
        work.sub(_LINK, r"\1")
        work.sub(_SUP, r"^\1")
        work.sub(_BREAK_TAG, "\n")
        work.sub(_TAG, "")
        work.sub(_ENTITY, _entity)
        for pattern in _EMPHASIS:
            work.sub(pattern, r"\1")
    _join_hyphenation(work)
    work.sub(_INITIAL_SPACE, r"\1.")
    work.sub(_SPACE_BEFORE_PUNCT, _punctuation)
    work.sub(_BLANK_RUN, "\n\n")
    _strip_outer(work)
    return Normalized(work.text, work.page_spans())


def normalize_text(text: str, *, from_pdf: bool = False) -> str:
    """The normalized text alone (``from_pdf``: one page of a PDF text layer, no markers or markup)."""
    return normalize(text, markers=not from_pdf, markup=not from_pdf).text


def normalize_characters(text: str) -> str:
    """Step 1 alone: line endings, NFC, byte-order marks, NUL bytes and soft hyphens."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = unicodedata.normalize("NFC", text)
    return text.replace("\ufeff", "").replace("\x00", "").replace("\u00ad", "")


# ---------------------------------------------------------------- edits that keep the page map


class _Edited:
    """Text under a series of replacements; positions of the page map are carried through each."""

    def __init__(self, text: str, pages: Sequence[PageSpan]):
        self.text = text
        self.pages = [(p.page, p.start, p.end) for p in pages]

    def sub(self, pattern: re.Pattern[str], repl: str | Callable[[re.Match[str]], str]) -> None:
        edits = []
        for match in pattern.finditer(self.text):
            new = repl(match) if callable(repl) else match.expand(repl)
            if new != match.group(0):
                edits.append((match.start(), match.end(), new))
        self.apply(edits)

    def apply(self, edits: list[tuple[int, int, str]]) -> None:
        """Replace ``text[start:end]`` by each edit's string (edits sorted, not overlapping)."""
        if not edits:
            return
        parts: list[str] = []
        olds: list[tuple[int, int]] = []
        news: list[tuple[int, int]] = []
        cursor = written = 0
        for start, end, new in edits:
            parts.append(self.text[cursor:start])
            written += start - cursor
            parts.append(new)
            olds.append((start, end))
            news.append((written, written + len(new)))
            written += len(new)
            cursor = end
        parts.append(self.text[cursor:])
        self.text = "".join(parts)
        starts = [s for s, _ in olds]

        def moved(position: int) -> int:
            i = bisect.bisect_right(starts, position) - 1
            if i < 0:
                return position
            (old_start, old_end), (new_start, new_end) = olds[i], news[i]
            if position >= old_end:
                return position + new_end - old_end
            return new_start + min(position - old_start, new_end - new_start)

        self.pages = [(page, moved(start), moved(end)) for page, start, end in self.pages]

    def page_spans(self) -> list[PageSpan]:
        return [PageSpan(page, start, end) for page, start, end in self.pages if end > start]


# ---------------------------------------------------------------- page markers

# Page markers left in Markdown/text conversions of PDFs: "{3}-----" (0-based) or "---- Page 4 ----".
_PAGE_MARKERS = (
    (re.compile(r"^\{(\d+)\}-{8,}[ \t]*$", re.MULTILINE), 1),
    (re.compile(r"^-{2,}[ \t]*Page[ \t]+(\d+)[ \t]*-{2,}[ \t]*$", re.MULTILINE), 0),
)
RUNNING_LINE_MIN = 3  # a line beside at least this many markers (digits ignored) is a running header or footer
_RUNNING_LINE_MAX_CHARS = 90


def _find_markers(text: str) -> tuple[list[re.Match[str]], int]:
    for pattern, shift in _PAGE_MARKERS:
        marks = list(pattern.finditer(text))
        if len(marks) >= 2:
            return marks, shift
    return [], 0


def pages_from_markers(text: str) -> list[PageSpan]:
    """The page map that the markers of ``text`` describe (empty without markers)."""
    marks, shift = _find_markers(text)
    spans = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        spans.append(PageSpan(page=int(mark.group(1)) + shift, start=mark.start(), end=end))
    if spans and spans[0].start > 0:
        spans.insert(0, PageSpan(page=max(1, spans[0].page - 1), start=0, end=spans[0].start))
    return spans


def _line_before(text: str, position: int) -> tuple[int, int] | None:
    """The span of the last non-blank line ending before ``position``."""
    end = position
    while end > 0 and text[end - 1] in " \t\n":
        end -= 1
    if end == 0:
        return None
    return text.rfind("\n", 0, end) + 1, end


def _line_after(text: str, position: int) -> tuple[int, int] | None:
    start = position
    while start < len(text) and text[start] in " \t\n":
        start += 1
    if start == len(text):
        return None
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", " ".join(line.split()))


_MID_SENTENCE_END = re.compile(r"[A-Za-z,;\-]\Z")


def _remove_page_markers(work: _Edited) -> None:
    text = work.text
    marks, _ = _find_markers(text)
    if not marks:
        return
    work.pages = [(p.page, p.start, p.end) for p in pages_from_markers(text)]
    beside: list[tuple[tuple[int, int] | None, tuple[int, int] | None]] = []
    shapes: Counter[str] = Counter()
    for mark in marks:
        before, after = _line_before(text, mark.start()), _line_after(text, mark.end())
        beside.append((before, after))
        for line in (before, after):
            if line and line[1] - line[0] <= _RUNNING_LINE_MAX_CHARS:
                shapes[_shape(text[line[0]:line[1]])] += 1
    running = {shape for shape, count in shapes.items() if count >= RUNNING_LINE_MIN}

    def is_running(line: tuple[int, int] | None) -> bool:
        return line is not None and _shape(text[line[0]:line[1]]) in running

    edits: list[tuple[int, int, str]] = []
    floor = 0
    for mark, (before, after) in zip(marks, beside):
        start = before[0] if before is not None and is_running(before) and before[0] >= floor else mark.start()
        end = after[1] if after is not None and is_running(after) else mark.end()
        while start > floor and text[start - 1] in " \t\n":
            start -= 1
        while end < len(text) and text[end] in " \t\n":
            end += 1
        start = min(start, mark.start())
        if start == 0 or end == len(text):
            joint = ""
        else:
            mid_sentence = _MID_SENTENCE_END.search(text, 0, start) and text[end].isalpha()
            joint = "\n" if mid_sentence else "\n\n"
        edits.append((start, end, joint))
        floor = end
    last = _line_before(text, len(text))  # the footer of the last page has no marker after it
    if last is not None and last[0] >= floor and is_running(last):
        start = last[0]
        while start > floor and text[start - 1] in " \t\n":
            start -= 1
        edits.append((start, len(text), ""))
    work.apply(edits)


# ---------------------------------------------------------------- markup

_HTML_ELEMENTS = (
    "a|abbr|b|big|blockquote|center|cite|code|del|div|em|figcaption|figure|font|i|img|ins|mark|p|s|small|span|"
    "strike|strong|sub|sup|table|tbody|td|th|thead|tr|u|ul|ol|li"
)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_SUP = re.compile(r"<sup>([^<>\n]{1,20})</sup>", re.IGNORECASE)
_BREAK_TAG = re.compile(r"<br[ \t]*/?>", re.IGNORECASE)
_TAG = re.compile(rf"</?(?:{_HTML_ELEMENTS})(?:[ \t\n][^<>]{{0,300}})?/?>", re.IGNORECASE)
_ENTITY = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,9}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")
_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\n]*\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\((?:https?://|www\.|mailto:)[^)\s]*\)")
_EMPHASIS = (
    re.compile(r"\*\*(?=[^\s*])((?:[^\n*]|\*(?!\*)|\n(?![ \t]*\n)){0,600}?[^\s*])\*\*"),
    re.compile(r"(?<![\w_])__(?=[^\s_])([^\n]*?[^\s_])__(?![\w_])"),
    re.compile(r"(?<![*\\])\*(?=[^\s*])((?:[^*\n]|\n(?![ \t]*\n)){0,300}?[^\s*\\])\*(?!\*)"),
    re.compile(r"\*\*()"),  # a bold marker left without its pair
)


def _entity(match: re.Match[str]) -> str:
    value = html.unescape(match.group(0))
    return " " if value == "\u00a0" else value


# ---------------------------------------------------------------- hyphenation

_BROKEN_WORD = re.compile(r"(?<![A-Za-z\-])([A-Za-z]*[a-z])-(?:[ \t]*\n[ \t]*|[ \t])([a-z]+)")
_SPACED_HYPHEN = re.compile(r"(?<![A-Za-z\-])([a-z]+)[ \t]-([a-z]+)")
_SUSPENDED = frozenset({"and", "or", "nor", "to", "through", "versus", "vs", "as", "but"})
# First pieces that keep their hyphen when no other evidence decides ("non-\ndiscrimination").
_KEEP_HYPHEN = frozenset({
    "non", "co", "self", "cross", "multi", "well", "high", "low", "long", "short", "state", "end",
    "pre", "post", "anti", "sub", "inter", "real", "human", "socio", "open", "third", "risk", "so",
    "all", "ex", "semi", "large", "small", "general", "special", "decision", "data", "rule", "role",
    "cyber", "trust", "fine", "full", "time", "day", "year", "e", "re", "de", "up", "in", "on", "off",
    "next", "world", "red", "mid", "over", "under", "top", "first", "second", "two", "three",
})
_VOCABULARY_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def _join_hyphenation(work: _Edited) -> None:
    text = work.text
    if "-" not in text:
        return
    vocabulary: set[str] | None = None

    def words() -> set[str]:
        nonlocal vocabulary
        if vocabulary is None:
            vocabulary = {w.lower() for w in _VOCABULARY_WORD.findall(text)}
        return vocabulary

    def broken(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        if tail in _SUSPENDED:
            return match.group(0)
        key = head.lower()
        if f"{key}-{tail}" in words():
            return f"{head}-{tail}"
        if f"{key}{tail}" in words() or (key not in _KEEP_HYPHEN and len(key) > 1):
            return head + tail
        return f"{head}-{tail}"

    def spaced(match: re.Match[str]) -> str:
        head, tail = match.group(1), match.group(2)
        if f"{head}-{tail}" in words() or head in _KEEP_HYPHEN:
            return f"{head}-{tail}"
        return match.group(0)

    work.sub(_BROKEN_WORD, broken)
    work.sub(_SPACED_HYPHEN, spaced)


# ---------------------------------------------------------------- punctuation and blank lines

_INITIAL_SPACE = re.compile(r"\b([A-Z])[ \t]\.(?=[A-Z]\.)")  # "U .S." -> "U.S."
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=[\w)\]\"'\u201d\u2019])[ \t]+([,;:]|\.(?=[ \t\n]|\Z))(?=([A-Za-z])?)")
_BLANK_RUN = re.compile(r"\n(?:[ \t]*\n){2,}")


def _punctuation(match: re.Match[str]) -> str:
    mark = match.group(1)
    return f"{mark} " if match.group(2) and mark != "." else mark


def _strip_outer(work: _Edited) -> None:
    text = work.text
    lead = len(text) - len(text.lstrip("\n "))
    trail = len(text.rstrip())
    edits = [(0, lead, "")] if lead else []
    if trail < len(text) and trail >= lead:
        edits.append((trail, len(text), ""))
    work.apply(edits)
