"""The numbered evidence list a model writes from.

The best-scoring sentences of the retrieved passages (the extractive
answerer's candidates), each widened by a neighbouring sentence on either side
for context, overlapping windows merged. Every item is an exact span of its
document, so an item cited by a kept sentence becomes that sentence's citation
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..answering.extractive import Candidate
from ..citations import is_valid
from ..store.documents import StoredChunk
from ..types import Citation

MAX_ITEMS = 6
MAX_ITEM_CHARS = 700  # a neighbour is added for context only while the item stays this short


def choose(cands: Sequence[Candidate], redundancy: float, max_items: int = MAX_ITEMS) -> list[Candidate]:
    """The best candidates that say different things (cosine at most ``redundancy``), best first."""
    chosen: list[Candidate] = []
    for cand in sorted(cands, key=lambda c: c.score, reverse=True):
        if len(chosen) >= max_items:
            break
        if any(float(np.dot(cand.vector, c.vector)) > redundancy for c in chosen):
            continue
        chosen.append(cand)
    return chosen


def window(cand: Candidate) -> tuple[int, int]:
    """The candidate sentence with the sentence before and after it in its chunk, while short enough."""
    sentences = cand.chunk.sentences
    index = sentences.index(cand.sentence)
    start, end = cand.start, cand.end
    if index > 0 and end - sentences[index - 1].start <= MAX_ITEM_CHARS:
        start = sentences[index - 1].start
    if index + 1 < len(sentences) and sentences[index + 1].end - start <= MAX_ITEM_CHARS:
        end = sentences[index + 1].end
    return start, end


def _section(cand: Candidate, start: int, end: int) -> str | None:
    """The finest section path holding the whole window."""
    inside = {s.section for s in cand.chunk.sentences if start <= s.start and s.end <= end}
    return cand.sentence.section if inside == {cand.sentence.section} and cand.sentence.section else cand.chunk.section


def evidence_items(
    cands: Sequence[Candidate], document_text: Callable[[StoredChunk], str], redundancy: float
) -> list[Citation]:
    """The evidence list, numbered from 1 in order of relevance; every quote is its document's text[start:end]."""
    spans: list[tuple[Candidate, int, int]] = []  # best first; overlapping windows merged into the first
    for cand in choose(cands, redundancy):
        start, end = window(cand)
        hits = [i for i, (o, s, e) in enumerate(spans) if o.chunk.document_id == cand.chunk.document_id and s < end and start < e]
        if not hits:
            spans.append((cand, start, end))
            continue
        start = min([start, *(spans[i][1] for i in hits)])
        end = max([end, *(spans[i][2] for i in hits)])
        spans[hits[0]] = (spans[hits[0]][0], start, end)
        for i in reversed(hits[1:]):
            del spans[i]
    items: list[Citation] = []
    for cand, start, end in spans:
        text = document_text(cand.chunk)
        item = Citation(
            n=len(items) + 1,
            document_id=cand.chunk.document_id,
            title=cand.chunk.title,
            section=_section(cand, start, end),
            page=cand.sentence.page if cand.sentence.page is not None else cand.chunk.page,
            start=start,
            end=end,
            quote=text[start:end],
            score=round(cand.score, 4),
        )
        if is_valid(item, text):
            items.append(item)
    return items
