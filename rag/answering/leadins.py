"""List items and their lead-ins: what a quoted item needs beside it to say something.

"(b) the list of prohibited practices set out in Article 5; and" means nothing
without "... the inclusion of new systems in:" above it. ``quote_spans`` gives
the spans to cite for a sentence: the sentence alone, the lead-in and the item
as one span when they are close, or the lead-in and the item apart when other
items stand between them. A lead-in quoted on its own ("... shall:") takes its
first items with it. Everything works on the document text, so each span is an
exact slice of it.
"""

from __future__ import annotations

import re

from ..chunking import split_sentences
from ..structure import defined_term

__all__ = ["is_list_item", "is_definition", "needs_lead_in", "marker_style", "opens_line", "lead_in", "quote_spans", "MERGE_GAP", "FOLLOW_CHARS"]

MERGE_GAP = 400  # a lead-in this close to its item (other items between) is quoted with it as one span
FOLLOW_CHARS = 500  # a lead-in quoted alone takes its following items up to this many characters
LOOK_BACK = 4000  # how far above an item its lead-in is looked for, in characters

# "(b)", "1.", "iv)"; in a text converted to Markdown the parentheses may be escaped: "\\(b\\)"
_MARKER = (r"(?:\\?\((?:[a-zA-Z]{1,2}|[ivxlcIVXLC]{1,6}|\d{1,3})\\?\)|(?:[a-zA-Z]|[ivxlc]{1,6}|\d{1,3})\\?[.)])")
_ITEM = re.compile(rf"^\s*(?:[-*\u2022\u2013]\s+)*{_MARKER}(?:\s|$)|^\s*[-*\u2022\u2013]\s+")
_BARE_MARKER = re.compile(rf"^\s*(?:[-*\u2022\u2013]\s+)*{_MARKER}\s*$")
_LINE_OPENING = re.compile(rf"[\s\-*\u2022\u2013]*(?:{_MARKER}\s*)?")
_OPEN_END = re.compile(r"(?:;|,|\bor|\band|;\s*(?:and|or))\s*$")
_LEAD_END = re.compile(r"(?::|\u2014)\s*$")
_FIRST_LETTER = re.compile(r"[^\W\d_]")


def is_list_item(text: str) -> bool:
    """The text opens with a list marker ("(b)", "1.", "iv)", "-") or, as a clause continuing a
    sentence, with a lower-case word."""
    if _ITEM.match(text):
        return True
    letter = _FIRST_LETTER.search(text[:3])
    return letter is not None and letter.group(0).islower()


def needs_lead_in(text: str) -> bool:
    """An item that is not a sentence of its own: it opens in lower case after its marker, or it
    ends open (";", "; and", ", or") without a subject and verb of its own. A definition
    ("(39) ‘emotion recognition system’ means ...;") and a clause opening with a capital in a
    mixed-case text ("(b) Executive departments shall assess ...;") say something alone."""
    body = _body(text)
    if is_definition(text):
        return False
    letter = _FIRST_LETTER.search(body[:3])
    if letter is not None and letter.group(0).islower():
        return True
    if not _OPEN_END.search(text):
        return False
    if letter is not None and not body.isupper():
        return False  # a capitalised clause of a mixed-case text
    return _CLAUSE_VERB.search(body) is None


def _body(text: str) -> str:
    """The item's text after its markers ("(10) (a) ...": every one)."""
    while (item := _ITEM.match(text)) is not None and item.end() > 0:
        text = text[item.end():]
    return text.lstrip()


def is_definition(text: str) -> bool:
    """The item defines a term: "(39) ‘emotion recognition system’ means ...", "\\(c\\) The term “LLM” means ..."."""
    return defined_term(_body(text).replace("\\(", "(").replace("\\)", ")")) is not None


# the verbs that make an all-capitals item ("(3) A DEVELOPER SHALL ...;") a clause of its own
_CLAUSE_VERB = re.compile(r"\b(?:SHALL|MUST|MAY|MEANS|INCLUDES|IS|ARE|DOES|DO)\b")


_STYLE = re.compile(r"^\s*(?:[-*\u2022\u2013]\s+)*\\?(\(?)([a-zA-Z]{1,6}|\d{1,3})\\?([.)])")


def marker_style(line: str) -> str | None:
    """The kind of list marker a line opens with: "(a)", "(i)", "(1)", "1.", "a)"... as a class
    (enclosure and digit, lower, upper or roman), so siblings share it; None without a marker."""
    match = _STYLE.match(line)
    if match is None:
        if re.match(r"^\s*[-*\u2022\u2013]\s+", line):
            return "bullet"
        return None
    opening, body, closing = match.groups()
    if opening and closing != ")":
        return None
    if body.isdigit():
        kind = "digit"
    elif set(body) <= set("ivx"):
        kind = "roman"
    elif set(body) <= set("IVX") and len(body) > 1:
        kind = "ROMAN"
    elif len(body) > 2:
        return None  # a word, not a marker
    else:
        kind = "lower" if body.islower() else "upper"
    return f"{opening}{kind}{closing}"


def opens_line(text: str, start: int) -> bool:
    """Only white space, bullets or a list marker stand before ``start`` on its line."""
    line_start = text.rfind("\n", 0, start) + 1
    return _LINE_OPENING.fullmatch(text, line_start, start) is not None


def _lines_before(text: str, position: int, limit: int):
    """(start, end) of the lines above ``position``, nearest first, within ``limit`` characters."""
    end = text.rfind("\n", 0, position)
    floor = max(0, position - limit)
    while end > floor:
        start = text.rfind("\n", 0, end) + 1
        yield start, end
        end = start - 1


def lead_in(text: str, start: int) -> tuple[int, int] | None:
    """The span of the sentence introducing the list item that begins at ``start``: the last
    sentence of the nearest line above that ends with ":" (or a dash), passing over the item's
    earlier siblings; None when a line of another kind comes first."""
    if not opens_line(text, start):
        return None  # the item does not open its line: a sentence inside a paragraph
    line_start = text.rfind("\n", 0, start) + 1
    style = marker_style(text[line_start:start + 12])
    deeper = False  # passing the items of a sibling's own sub-list, whose lead-in is not this item's
    for a, b in _lines_before(text, line_start, LOOK_BACK):
        line = text[a:b]
        if not line.strip():
            continue
        own = marker_style(line)
        if style is not None and own == style:
            deeper = False
            continue  # a sibling (its own sub-list, if it ends with ":", is not this item's lead-in)
        if _LEAD_END.search(line):
            if deeper and own is None:
                deeper = False
                continue  # "... regarding the following:" above "(A) ...", "(B) ...": the sub-list's lead-in
            sentences = split_sentences(text, a, b)
            if not sentences:
                return None
            return sentences[-1].start, sentences[-1].end
        if style is not None and own is not None:
            deeper = True
        if is_list_item(line.strip()) or _OPEN_END.search(line):
            continue
        return None
    return None


def _items_after(text: str, end: int, budget: int) -> int | None:
    """The end of the items following a lead-in that ends at ``end``: whole lines, at least one
    item, then more while they fit in ``budget`` characters; None when no item follows."""
    last = None
    position = end
    while True:
        newline = text.find("\n", position)
        if newline < 0:
            return last
        line_end = text.find("\n", newline + 1)
        line_end = len(text) if line_end < 0 else line_end
        line = text[newline + 1:line_end]
        position = line_end
        if not line.strip():
            if line_end >= len(text):
                return last
            continue
        if not (is_list_item(line.strip()) or _BARE_MARKER.match(line)):
            return last
        if last is not None and line_end - end > budget:
            return last
        if not _BARE_MARKER.match(line):
            last = end + len(text[end:line_end].rstrip())
        if line_end - end > budget:
            return last


def quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]] | None:
    """What to cite for the sentence ``text[start:end]``: one span or two (lead-in, item), or None
    when the sentence is an item that says nothing without a lead-in and none is found."""
    sentence = text[start:end]
    if sentence.rstrip().endswith(":"):
        follow = _items_after(text, end, FOLLOW_CHARS)
        return [(start, follow)] if follow is not None else [(start, end)]
    if not opens_line(text, start) or not is_list_item(sentence):
        return [(start, end)]  # a sentence of a paragraph (or a piece of an overlong one)
    if is_definition(sentence):
        return [(start, end)]  # "(60) ‘deep fake’ means ...": a definition needs no lead-in
    found = lead_in(text, start)
    if found is None:
        return None if needs_lead_in(sentence) else [(start, end)]
    lead_start, lead_end = found
    if start - lead_end <= MERGE_GAP:
        return [(lead_start, end)]
    return [(lead_start, lead_end), (start, end)]
