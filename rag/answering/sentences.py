"""Which sentences may be quoted as an answer (also: which get a sentence vector at ingest)."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import AnsweringSettings

__all__ = ["AnswerSentenceRule"]


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
