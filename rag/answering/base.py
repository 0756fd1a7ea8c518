"""The seam between retrieval and answering.

The pipeline validates a question, retrieves passages, then hands a
``Retrieval`` to an ``Answerer``. An answerer turns it into a stream of typed
events that ends with the whole ``Answer``:

    DeltaEvent(index, text)* -> CitationsEvent(citations) -> DoneEvent(answer)

(the pipeline sends ``PassagesEvent`` before calling the answerer). Any
answerer, extractive or generated, must keep the citation rule: every
``Citation.quote`` equals ``document_text(chunk)[start:end]`` (use
``rag.citations.is_valid``) and an answer with no citation is an abstention.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from ..store.documents import StoredChunk
from ..types import Answer, Citation, Passage

__all__ = [
    "Retrieval",
    "Answerer",
    "PassagesEvent",
    "DeltaEvent",
    "CitationsEvent",
    "DoneEvent",
    "AnswerEvent",
    "answer_of",
    "NOT_FOUND",
]

NOT_FOUND = "The documents do not answer this question."


@dataclass(frozen=True)
class Retrieval:
    """What an answerer is given besides the question.

    ``passages``: best first, as ``POST /search`` shows them. ``chunks``: every
    stored chunk behind them by id, with its sentences and sentence vectors.
    ``query_vector``: the question's embedding (normalized, same space as the
    sentence vectors). ``document_text(chunk)``: the full text of the chunk's
    document at the chunk's version, the text every offset refers to.
    """

    passages: list[Passage]
    chunks: dict[str, StoredChunk]
    query_vector: np.ndarray
    document_text: Callable[[StoredChunk], str]


@dataclass(frozen=True)
class PassagesEvent:
    passages: list[Passage]
    kind: str = field(default="passages", init=False)


@dataclass(frozen=True)
class DeltaEvent:
    """One more piece of the answer text (for the extractive answerer: a sentence with its [n] marker)."""

    index: int
    text: str
    kind: str = field(default="delta", init=False)


@dataclass(frozen=True)
class CitationsEvent:
    citations: list[Citation]
    kind: str = field(default="citations", init=False)


@dataclass(frozen=True)
class DoneEvent:
    answer: Answer
    kind: str = field(default="done", init=False)


AnswerEvent = PassagesEvent | DeltaEvent | CitationsEvent | DoneEvent


@runtime_checkable
class Answerer(Protocol):
    """Writes the answer to a question from what retrieval found."""

    name: str

    def stream(self, question: str, retrieved: Retrieval) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        """Deltas, then the citations, then ``DoneEvent`` with the whole answer (timings are the pipeline's)."""
        ...

    def answer(self, question: str, retrieved: Retrieval) -> Answer:
        """The whole answer at once (what the last event of ``stream`` carries)."""
        ...


def answer_of(events: Iterator[AnswerEvent]) -> Answer:
    """The answer carried by the ``DoneEvent`` of a stream."""
    for event in events:
        if isinstance(event, DoneEvent):
            return event.answer
    raise RuntimeError("an answer stream ended without its DoneEvent")
