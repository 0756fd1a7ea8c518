"""Which sentences may be quoted as an answer (also: which get a sentence vector at ingest), and
which say nothing on their own (a heading, a bare reference) however long they are."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import AnsweringSettings

__all__ = ["AnswerSentenceRule", "says_something"]


@dataclass(frozen=True)
class AnswerSentenceRule:
    min_chars: int
    min_words: int

    @classmethod
    def from_settings(cls, settings: AnsweringSettings) -> AnswerSentenceRule:
        return cls(settings.min_sentence_chars, settings.min_sentence_words)

    def __call__(self, text: str) -> bool:
        """Headings and labels are too short to answer anything."""
        return len(text) >= self.min_chars and len(text.split()) >= self.min_words


_HEADING_START = re.compile(r"^\s*(?:#+\s|(?:Article|ARTICLE|Chapter|CHAPTER|Section|SECTION|Annex|ANNEX|Title|TITLE|"
                            r"Part|PART|Appendix|APPENDIX)\s+[\dIVXLC]+\b)")
_REFERENCE = re.compile(
    r"\b(?:Articles?|Art\.|Sections?|Sec\.|§+|paragraphs?|points?|subparagraphs?|Annex(?:es)?|Chapters?|Recitals?|"
    r"Regulation|Directive|Decision|No\.?|OJ|U\.S\.C\.|C\.F\.R\.|Pub\.|L\.)\s*(?:\(\w+\)\s*)*[\w./()-]*|"
    r"\(\w{1,4}\)|\b\d[\d./-]*\b",
)
_FILLER = frozenset(
    "a an the of to in on at by for and or as with from that this these those which see also under pursuant referred "
    "set out laid down listed thereof therein hereof accordance amended amending repealing its their be is are".split()
)
_WORD = re.compile(r"[^\W\d_]{2,}")
# a footnote or bibliography entry: "20  Haiying Guan, James Horan, ... “Guardians of Forensic Evidence ...”"
_FOOTNOTE = re.compile(r"^\s*\d{1,3}\s+(?=.*(?:[“\"].{10,}[”\"]|https?://|\bet al\.|\bdoi\b|\(\d{4}\)))", re.DOTALL)
# a footnote defining a term says something: '3 "Algorithmic monocultures" refers to the phenomenon ...'
_DEFINING_NOTE = re.compile(r"^\s*\d{1,3}\s+[“\"‘'][^”\"’'\n]{2,80}[”\"’']\s+(?:means|refers to|is|are|describes)\b")
_ADDRESS = re.compile(r"https?://\S+|www\.\S+")


def says_something(text: str) -> bool:
    """False for a heading ("Article 113 Entry into force and application"), a footnote or
    bibliography entry, or a sentence made of references ("See Article 5(1), point (a), of
    Regulation (EU) 2019/1020.") or web addresses."""
    stripped = text.strip()
    if _HEADING_START.match(stripped) and not re.search(r"[.;:!?]\W*$", stripped):
        return False
    if _FOOTNOTE.match(stripped) and not _DEFINING_NOTE.match(stripped):
        return False
    stripped = _ADDRESS.sub(" ", stripped)
    words = [w for w in _WORD.findall(_REFERENCE.sub(" ", stripped)) if w.lower() not in _FILLER]
    return len(words) >= 3
