"""Extractive answers to questions that cite a provision.

"What does Article 5 of the AI Act say?", "Art. 99(3) AI Act", "What does Article 50
require of deployers?": the cited provision was found by its section path
(``rag.steering``), not by its words, so the answer quotes from it. A question that
asks nothing beyond the reference gets the provision's opening sentences in reading
order (the cited paragraph's, when it cites one), since a question without content
words cannot pick sentences by their words. A question that asks something of the
provision gets the provision's own best sentences for it when they answer it well
enough, and otherwise the ordinary answer.

    cited = [Cited("eu__...", "Art. 99(3)", "3", ("eu__...:v:701", ...))]
    answerer = ProvisionAnswerer(extractive, cited, bare=asks_only_for(question, names, cited))
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..terms import query_terms
from ..types import Answer
from .base import CitationsEvent, DeltaEvent, DoneEvent, Retrieval, answer_of
from .extractive import Candidate, Chosen, ExtractiveAnswerer, answer_events, compose, overlaps, shown_of
from .leadins import quote_spans
from .sentences import says_something

__all__ = ["Cited", "ProvisionAnswerer", "asks_only_for"]

# Words that ask for a provision's text and nothing more ("What does Article 5 say?", "show me Art. 6").
_ASKING_FOR_TEXT = frozenset(
    """say says said text wording words read show quote contents content provision provisions state states
    stipulate stipulates provide provides cover covers full article articles art section sections sec annex
    paragraph para me give explain summarise summarize summary contain contains set sets out lay lays down
    act law bill regulation directive code measures rules guidelines order executive eo statute
    require requires required requirement requirements oblige obliges obligation obligations mean means cover
    covers""".split()
)


@dataclass(frozen=True)
class Cited:
    """A provision the question cites, as steering located it."""

    document_id: str
    label: str  # as written in the question: "Art. 99(3)"
    paragraph: str | None  # the paragraph it cites ("3"), if any
    chunk_ids: tuple[str, ...]  # the provision's chunks in reading order, the cited paragraph's first


def asks_only_for(question: str, names: list[str], cited: list[Cited]) -> bool:
    """Whether ``question`` asks for nothing but the text of what it cites: without the
    instrument ``names`` it uses and the references themselves, no content word is left."""
    rest = question
    for text in sorted([*names, *(c.label for c in cited)], key=len, reverse=True):
        rest = re.sub(re.escape(text), " ", rest, flags=re.IGNORECASE)
    words = [w for w in query_terms(rest) if not re.fullmatch(r"[\d().\-]+|[ivxlc]+", w)]
    return all(w.rstrip("'’s") in _ASKING_FOR_TEXT or w in _ASKING_FOR_TEXT for w in words)


_ELSEWHERE = 0.9  # a sentence outside the cited provision is quoted instead when the provision's best scores under 0.9 of it


def _in_paragraph(cand: Candidate, paragraph: str) -> bool:
    """Whether the candidate sentence lies in numbered paragraph ``paragraph`` of its provision."""
    return re.search(rf"(?:^| > )paragraph {re.escape(paragraph)}(?: > |$)", cand.sentence.section or "") is not None


def _heading(text: str) -> bool:
    """A provision's title line ("Obligations of deployers of high-risk AI systems"): short and
    not ending as a sentence or a lead-in does."""
    return len(text.split()) <= 15 and not re.search(r"[.:;!?]\W*$", text.strip())


class ProvisionAnswerer:
    """Wraps the extractive answerer for a question that cites provisions."""

    name = "extractive"

    def __init__(self, extractive: ExtractiveAnswerer, cited: list[Cited], bare: bool):
        self.extractive = extractive
        self.cited = cited
        self.bare = bare

    def answer(self, question: str, retrieved: Retrieval) -> Answer:
        return answer_of(self.stream(question, retrieved))

    def stream(self, question: str, retrieved: Retrieval) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        settings = self.extractive.settings
        cands, confidence = self.extractive.scored(question, retrieved)
        held = {chunk_id for cited in self.cited for chunk_id in cited.chunk_ids}
        own = [c for c in cands if c.chunk.id in held]
        if self.bare and own:
            chosen = self.opening(own, retrieved)
            if chosen:
                parts, citations = compose(chosen, retrieved.document_text)
                # found by its path, not its words: the provision is the evidence
                yield from answer_events(question, retrieved, parts, citations, max(confidence, settings.abstain_threshold))
                return
        # the cited paragraph's sentences, else the provision's, unless a sentence elsewhere answers clearly
        # better ("How much can a deployer be fined for ignoring Article 26?" is answered by the article on fines)
        best = max((c.score for c in cands), default=0.0)
        for narrowed in (self.in_paragraphs(own), own):
            top = max((c.score for c in narrowed), default=0.0)
            if top >= settings.abstain_threshold and top >= _ELSEWHERE * best:
                cands = narrowed
                break
        yield from self.extractive.stream_scored(question, retrieved, cands, confidence)

    def in_paragraphs(self, own: list[Candidate]) -> list[Candidate]:
        """The candidates in a paragraph the question cites ("Art. 6(3)": paragraph 3 of Article 6)."""
        out = []
        for cited in self.cited:
            if cited.paragraph is not None:
                mine = set(cited.chunk_ids)
                out += [c for c in own if c.chunk.id in mine and _in_paragraph(c, cited.paragraph)]
        return out

    def opening(self, own: list[Candidate], retrieved: Retrieval) -> list[Chosen]:
        """The first sentences of each cited provision in reading order (of the cited paragraph
        when there is one), each provision its share of ``max_sentences`` and of the answer's length."""
        settings = self.extractive.settings
        share = max(1, settings.max_sentences // len(self.cited))
        chosen: list[Chosen] = []
        size = 0
        for cited in self.cited:
            order = {chunk_id: i for i, chunk_id in enumerate(cited.chunk_ids)}
            mine = sorted((c for c in own if c.chunk.id in order), key=lambda c: (order[c.chunk.id], c.start))
            if cited.paragraph is not None:
                mine = [c for c in mine if _in_paragraph(c, cited.paragraph)] or mine
            taken = 0
            for cand in mine:
                if taken >= share:
                    break
                shown = shown_of(chosen, cand.chunk.document_id)
                if _heading(cand.text) or overlaps([(cand.start, cand.end)], shown):
                    continue
                # a list item with its lead-in, a lead-in with its first items; only its own span when that is shown
                spans = quote_spans(retrieved.document_text(cand.chunk), cand.start, cand.end)
                if spans is None or overlaps(spans, shown):
                    spans = [(cand.start, cand.end)] if says_something(cand.text) else None
                if spans is None:
                    continue
                length = sum(b - a for a, b in spans)
                if chosen and size + length > settings.max_answer_chars:
                    break
                chosen.append(Chosen(cand, spans))
                size += length
                taken += 1
        return chosen
