"""Questions that ask for a list of a stated length, and the sentences that give one.

"What are the five principles of the UK's approach?", "Which four ethical principles do
the guidelines set out?", "Name the three pillars of the Action Plan": the answer is the
sentence that enumerates that many items ("These are the principles of: (i) Respect for
human autonomy (ii) Prevention of harm (iii) Fairness (iv) Explicability"), not the one
that only says how many there are ("... reflected by four ethical principles").

    asked_items("Which four ethical principles ...?")          # 4
    enumerates("the Core is composed of four functions: GOVERN, MAP, MEASURE, and MANAGE.", 4)  # True
"""

from __future__ import annotations

import re

__all__ = ["asked_items", "enumerates"]

_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "eleven": 11, "twelve": 12}
_COUNT = r"(?:\d{1,2}|" + "|".join(_WORDS) + r")"
_ASKED = re.compile(
    rf"\b(?:what|which|name|list|give)\b[^?]*?\b({_COUNT})\s+(?:[\w-]+\s+){{0,3}}?"
    r"(?:principles|requirements|components|functions|pillars|characteristics|categories|areas|goals|objectives|"
    r"actions|recommendations|practices|commitments|elements|risks|steps|criteria|values|rights|priorities|themes|"
    r"tiers|levels|types|kinds|parts|chapters|sections|outcomes|dimensions|tenets|aims|foundations)\b",
    re.IGNORECASE,
)
_MARKER = re.compile(r"(?:^|\s)\((?:[ivx]{1,4}|\d{1,2}|[a-z])\)(?=\s)", re.IGNORECASE)
_BULLET = re.compile(r"^[ \t]*(?:[•\u2022*\-–]|\d{1,2}[.)])[ \t]+\S", re.MULTILINE)
_LIST_START = re.compile(r":|\s[–—]\s")


def asked_items(question: str) -> int | None:
    """How many items the question asks to have named (None: it asks for no counted list)."""
    match = _ASKED.search(question)
    if not match:
        return None
    word = match.group(1).lower()
    count = _WORDS.get(word) or int(word)
    return count if count >= 2 else None


def enumerates(text: str, count: int) -> bool:
    """Whether ``text`` names ``count`` items: that many markers ("(i)", "(2)", "(c)"), bullets or
    numbered lines, or after a colon or a dash that many parts separated by commas or semicolons."""
    if len(_MARKER.findall(text)) == count or len(_BULLET.findall(text)) == count:
        return True
    starts = list(_LIST_START.finditer(text))
    if not starts:
        return False
    tail = text[starts[-1].end():].strip().rstrip(".")
    separator = ";" if ";" in tail else ","
    parts = [p.strip() for p in tail.split(separator)]
    parts = [re.sub(r"^(?:and|or)\s+", "", p) for p in parts if p]
    return len(parts) == count and all(0 < len(p.split()) <= 8 for p in parts)
