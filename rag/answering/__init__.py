"""Answering: turn retrieved passages into an answer with checkable citations.

``Answerer`` is the interface (see ``base``); ``ExtractiveAnswerer`` quotes
the best sentences. Another answerer registers beside it under its own name
(``Pipeline.answerers``) and is chosen per request by ``mode`` or by default
through ``settings.answering.mode``.
"""

from .base import (
    NOT_FOUND,
    Answerer,
    AnswerEvent,
    CitationsEvent,
    DeltaEvent,
    DoneEvent,
    PassagesEvent,
    Retrieval,
    answer_of,
)
from .extractive import CorpusStatistics, ExtractiveAnswerer
from .sentences import AnswerSentenceRule

__all__ = [
    "NOT_FOUND",
    "Answerer",
    "AnswerEvent",
    "AnswerSentenceRule",
    "CitationsEvent",
    "CorpusStatistics",
    "DeltaEvent",
    "DoneEvent",
    "ExtractiveAnswerer",
    "PassagesEvent",
    "Retrieval",
    "answer_of",
]
