"""Citation numbering, markers and span checks: pure functions."""

from __future__ import annotations

import re

from .types import Citation

MARKER = re.compile(r"\[(\d+)\]")


def is_valid(citation: Citation, document_text: str) -> bool:
    """A citation is checkable when its quote is exactly the text between its offsets."""
    return 0 <= citation.start < citation.end <= len(document_text) and document_text[citation.start:citation.end] == citation.quote


def markers(answer: str) -> list[int]:
    """The citation numbers an answer uses, in order of appearance."""
    return [int(m) for m in MARKER.findall(answer)]


def display_quote(quote: str) -> str:
    """The quote as it reads in an answer: white space folded, line-break hyphens kept."""
    return " ".join(quote.split())
