"""The extractive answerer: deterministic, offline, no language model.

It scores every sentence of the retrieved passages against the question
(cosine similarity of the stored sentence vectors, plus IDF-weighted term
overlap), keeps the best few that say different things, orders them as they
stand in their documents, and puts a citation marker after each. When the
evidence is too weak it abstains instead of quoting something irrelevant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..citations import display_quote, is_valid
from ..config import AnsweringSettings
from ..store.documents import StoredChunk
from ..structure import defined_term
from ..terms import asks_about_requirements, base_form, drafting_words, query_terms
from ..types import Answer, Citation, Sentence
from .base import NOT_FOUND, CitationsEvent, DeltaEvent, DoneEvent, Retrieval, answer_of
from .direct import asked_kind, counted, direct_answer, holds_value
from .leadins import is_list_item, lead_in, quote_spans
from .lists import asked_items, enumerates
from .sentences import AnswerSentenceRule, says_something

__all__ = ["answer_events", "asks_definition", "ExtractiveAnswerer", "CorpusStatistics", "overlaps", "shown_of"]


class CorpusStatistics(Protocol):
    """What term weighting reads from the document store."""

    def document_frequencies(self, terms: list[str]) -> dict[str, int]: ...

    def counts(self) -> dict[str, int]: ...


@dataclass(frozen=True)
class Candidate:
    chunk: StoredChunk
    passage_rank: int
    sentence: Sentence
    start: int
    end: int
    text: str
    vector: np.ndarray
    score: float
    dense: float
    overlap: float
    choice: float  # what picks the sentences to quote: the score without the passage prior, recitals lower
    describes: bool = False  # an item of a list introduced by the thing a "what is" question names


@dataclass(frozen=True)
class Chosen:
    """A sentence picked for the answer and the spans cited for it: itself, or with its lead-in."""

    cand: Candidate
    spans: list[tuple[int, int]]


@dataclass(frozen=True)
class Evidence:
    """What the abstention decision looks at."""

    best_sentence: float  # best combined sentence score
    unseen: float  # IDF-weighted share of question terms found nowhere in the corpus and uncommon in English

    def confidence(self, unseen_penalty: float) -> float:
        """Chosen on the evaluation sets (eval/calibrate.py) over other mixes (such as
        how much of the question the top passages cover): a question whose words the
        corpus has never seen ("jaywalking") is not answered by a close paraphrase."""
        return self.best_sentence - unseen_penalty * self.unseen


_RECITAL = re.compile(r"\bRecital\b")
_DESCRIBED_PASSAGES = 3  # how many of the top passages are read for a list introduced by what a question names
# a bill's digest ("This bill would ...", "Existing law ..."): a summary of the operative text, like a recital
_DIGEST = re.compile(r"^\W*(?:(?:This|The) (?:bill|act|measure) would|Existing law)\b")
_ESCAPED_PARENTHESIS = re.compile(r"\\([()])")  # "\(c\)" in a text converted to Markdown
# a question asking what a term means: "What does EO 14141 mean by ...", "What counts as ...", "Who is a deployer ..."
_ASKS_DEFINITION = re.compile(
    r"\b(?:mean|means|meant|meaning|defined?|defines|definition|counts? as|qualif\w* as)\b|"
    r"^\W*(?:what|who)\s+(?:is|are)\b|\bwhat makes\b",
    re.IGNORECASE,
)
_OBLIGATION = re.compile(r"\b(shall|must|required?|prohibited|may not)\b", re.IGNORECASE)


def asks_definition(question: str) -> bool:
    """The question asks what a term means or what falls under it."""
    return _ASKS_DEFINITION.search(question) is not None


class ExtractiveAnswerer:
    """Quotes the retrieved sentences that best answer the question, each cited.

    It scores every answerable sentence of the top passages (cosine similarity
    of its stored vector with the question, plus IDF-weighted term overlap),
    keeps the best few that say different things, orders them as they stand in
    their documents, and abstains when the evidence is too weak. Deterministic,
    offline, no language model.
    """

    name = "extractive"

    def __init__(
        self,
        statistics: CorpusStatistics,
        is_uncommon_word: Callable[[str], bool],
        settings: AnsweringSettings | None = None,
    ) -> None:
        self.statistics = statistics
        self.is_uncommon_word = is_uncommon_word
        self.settings = settings or AnsweringSettings()
        self.is_answer_sentence = AnswerSentenceRule.from_settings(self.settings)

    # ------------------------------------------------------------ the Answerer interface

    def answer(self, question: str, retrieved: Retrieval) -> Answer:
        return answer_of(self.stream(question, retrieved))

    def stream(self, question: str, retrieved: Retrieval) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        cands, confidence = self.scored(question, retrieved)
        yield from self.stream_scored(question, retrieved, cands, confidence)

    def scored(self, question: str, retrieved: Retrieval) -> tuple[list[Candidate], float]:
        """Every answerable sentence of the top passages scored against the question, and the
        evidence confidence that the abstention decision compares with its threshold."""
        terms = query_terms(question)
        frequencies = self._frequencies(terms)
        unseen = {t for t in terms if frequencies[t] == 0 and self.is_uncommon_word(base_form(t))}
        # an everyday word this corpus happens not to use ("took") can match nothing: it carries no weight
        terms = [t for t in terms if frequencies[t] > 0 or t in unseen]
        weights = term_weights(terms, frequencies, self.statistics.counts()["chunks"])
        named = frozenset(self._stem(w) for w in query_terms(question)) if asks_definition(question) else None
        cands = self.candidates(retrieved, weights, asks_about_requirements(question), named)
        return cands, evidence(cands, weights, unseen).confidence(self.settings.unseen_penalty)

    def stream_scored(
        self, question: str, retrieved: Retrieval, cands: list[Candidate], confidence: float
    ) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
        """The answer quoted from scored candidates (what ``stream`` yields)."""
        citations: list[Citation] = []
        parts: list[str] = []
        kind = asked_kind(question)
        if cands and confidence >= self.settings.abstain_threshold:
            chosen = self.select(cands, retrieved.document_text, kind, counted(question), asked_items(question))
            parts, citations = compose(chosen, retrieved.document_text)
        yield from answer_events(
            question, retrieved, parts, citations, confidence, direct_answer=direct_answer(kind, citations, question)
        )

    # ------------------------------------------------------------ term weighting

    def _frequencies(self, terms: list[str]) -> dict[str, int]:
        """How many chunks hold each term, reading "china's" as "china" where the exact form is absent."""
        frequencies = self.statistics.document_frequencies(terms)
        bases = {t: base_form(t) for t in terms if frequencies[t] == 0 and base_form(t) != t}
        if bases:
            base_frequencies = self.statistics.document_frequencies(sorted(set(bases.values())))
            for term, base in bases.items():
                frequencies[term] = base_frequencies[base]
        return frequencies

    def _stem(self, word: str) -> str:
        return word[: self.settings.stem_chars]

    def overlap(
        self, weights: dict[str, float], text: str, ignore: frozenset[str] = frozenset(),
        unmatched: frozenset[str] = frozenset(),
    ) -> float:
        """IDF-weighted share of the question's terms that ``text`` contains (by stems),
        leaving out the stems in ``ignore`` and the words of ``text`` in ``unmatched``."""
        stem = self._stem
        total = sum(w for t, w in weights.items() if stem(t) not in ignore)
        if total <= 0:
            return 0.0
        stems = self.stems(text, unmatched)
        return sum(
            w for t, w in weights.items()
            if stem(t) not in ignore and (stem(t) in stems or stem(t.replace("-", "")) in stems
                                          or any(stem(d) in stems for d in drafting_words(t)))
        ) / total

    def stems(self, text: str, unmatched: frozenset[str] = frozenset()) -> set[str]:
        """The stems of the words of ``text`` (leaving out the words in ``unmatched``), with those of
        each word pair written as one word and of each hyphenated word without its hyphen: "deep
        fake" meets "deepfake", "start-up" "startup"."""
        words = [w for w in query_terms(text) if w not in unmatched]
        stem = self._stem
        out = {stem(w) for w in words}
        out.update(stem(w.replace("-", "")) for w in words if "-" in w)
        out.update(stem(a + b) for a, b in zip(words, words[1:]))
        return out

    def defines_named(self, text: str, named: frozenset[str]) -> bool:
        """``text`` defines a term whose words the question names."""
        term = defined_term(_ESCAPED_PARENTHESIS.sub(r"\1", text))
        words = query_terms(term) if term else []
        return bool(words) and all(self._stem(w) in named for w in words)

    def describes_named(self, text: str, sentence: Sentence, named: frozenset[str]) -> bool:
        """``sentence`` (of the document ``text``) is an item of a list introduced by the named thing
        alone ("The GOVERN function:" above "• cultivates and implements a culture of risk ...")."""
        if not is_list_item(text[sentence.start:sentence.end].strip()):
            return False
        found = lead_in(text, sentence.start)
        if found is None:
            return False
        words = query_terms(text[found[0]:found[1]])
        return 0 < len(words) <= 4 and all(self._stem(w) in named for w in words)

    def title_stems(self, title: str, terms: Iterable[str] | None = None) -> frozenset[str]:
        """Words of a document's title: a question naming the document ("China's interim
        measures") is answered by the document, not by sentences repeating its name. With
        ``terms`` (the question's), only the stems of those that are title words themselves."""
        words = _title_words(title)
        if terms is None:
            return frozenset(self._stem(w) for w in words)
        return frozenset(self._stem(t) for t in terms if _singular(base_form(t)) in words)

    # ------------------------------------------------------------ scoring and choosing

    def candidates(
        self,
        retrieved: Retrieval,
        weights: dict[str, float],
        obligations: bool = False,
        named: frozenset[str] | None = None,
    ) -> list[Candidate]:
        """Every answerable sentence of the top passages, scored against the question.

        ``obligations``: the question asks what a text requires, so sentences that
        state a duty ("shall", "must") weigh a little more. ``named``: the question asks
        what a term means, and these are the stems of its words: a sentence defining a
        term made of them (‘deployer’ means ...) is chosen before sentences using it."""
        config = self.settings
        out = []
        for rank, passage in enumerate(retrieved.passages[: config.passages_read]):
            prior = config.passage_prior / (1 + rank)
            # The question's words that name the document are left out, and so are the sentence's
            # words that repeat its name: "generated" is not met by the "generative" of
            # "generative artificial intelligence" (both "gener..."), which names the document.
            ignore = self.title_stems(passage.title, weights)
            unmatched = _title_words(passage.title) - set(weights)
            for chunk_id in passage.chunk_ids:
                chunk = retrieved.chunks[chunk_id]
                if chunk.sentence_vectors is None:
                    continue
                for sentence, vector in zip(chunk.sentences, chunk.sentence_vectors):
                    text = chunk.text[sentence.start - chunk.start:sentence.end - chunk.start]
                    if not self.is_answer_sentence(text) or not vector.any():
                        continue
                    dense = float(np.dot(retrieved.query_vector, vector))
                    lexical = self.overlap(weights, text, ignore, unmatched)
                    score = config.dense_weight * dense + config.overlap_weight * lexical + prior
                    if obligations and _OBLIGATION.search(text):
                        score += config.obligation_bonus
                    choice = score - prior + config.length_bonus * min(len(text), 400)
                    if _RECITAL.search(sentence.section or chunk.section or "") or _DIGEST.match(text):
                        choice -= config.recital_penalty
                    describes = False
                    if named is not None and self.defines_named(text, named):
                        choice += config.definition_bonus
                    elif named is not None and rank < _DESCRIBED_PASSAGES:
                        describes = self.describes_named(retrieved.document_text(chunk), sentence, named)
                    out.append(Candidate(
                        chunk, rank, sentence, sentence.start, sentence.end, text, vector, score, dense, lexical, choice,
                        describes,
                    ))
        return out

    def select(
        self,
        cands: list[Candidate],
        document_text: Callable[[StoredChunk], str],
        kind: str | None = None,
        noun: str | None = None,
        items: int | None = None,
    ) -> list[Chosen]:
        """The best sentences that say different things, each with the spans to cite for it (a list
        item with its lead-in), in reading order; with ``kind`` (the kind of value the question asks
        for), the best sentence stating such a value (for a "how many" question: counting ``noun``) comes
        first; with ``items`` (the question asks to name that many things), the best one naming that many."""
        config = self.settings
        ranked = sorted(cands, key=lambda c: c.choice, reverse=True)
        spans_of: dict[int, list[tuple[int, int]] | None] = {}

        def quotable(cand: Candidate) -> list[tuple[int, int]] | None:
            """The spans to cite for ``cand``; None for an item or fragment that says nothing alone."""
            key = id(cand)
            if key not in spans_of:
                spans = quote_spans(document_text(cand.chunk), cand.start, cand.end)
                if spans == [(cand.start, cand.end)] and not says_something(cand.text):
                    spans = None
                spans_of[key] = spans
            return spans_of[key]

        best = next((c.choice for c in ranked if quotable(c) is not None), None)
        if best is None:
            return []
        floor = best * config.relative_cutoff
        lead = None
        value_floor = best * config.value_cutoff
        if kind is not None:
            lead = next(
                (c for c in ranked if c.choice >= value_floor and holds_value(kind, c.text, noun) and quotable(c)), None
            )
        elif items is not None:
            lead = next((c for c in ranked if c.choice >= value_floor and quotable(c) and enumerates(
                " ".join(document_text(c.chunk)[a:b] for a, b in quotable(c) or []), items)), None)
        else:  # "What is the GOVERN function?": the list "The GOVERN function:" introduces says what it is,
            # quoted from its first item, which is quoted with the lead-in
            best_item = next((c for c in ranked if c.describes and quotable(c)), None)
            if best_item is not None:
                lead = min((c for c in ranked if c.describes and c.chunk.id == best_item.chunk.id and quotable(c)),
                           key=lambda c: c.start)
        if lead is not None:
            ranked.remove(lead)
            ranked.insert(0, lead)
        chosen: list[Chosen] = []
        size = 0
        for cand in ranked:
            if len(chosen) >= config.max_sentences or (cand.choice < floor and cand is not lead):
                break
            same_document = sum(1 for c in chosen if c.cand.chunk.document_id == cand.chunk.document_id)
            if same_document >= config.sentences_per_document:
                continue
            if any(float(np.dot(cand.vector, c.cand.vector)) > config.redundancy for c in chosen):
                continue
            spans = quotable(cand)
            if spans is None:
                continue  # an item or a fragment that says nothing alone
            if overlaps(spans, shown_of(chosen, cand.chunk.document_id)):
                continue
            length = sum(b - a for a, b in spans)
            if chosen and size + length > config.max_answer_chars:
                continue
            chosen.append(Chosen(cand, spans))
            size += length
        chosen = self.continued(chosen, cands, document_text)
        first_seen: dict[str, int] = {}
        for c in chosen:
            doc = c.cand.chunk.document_id
            first_seen.setdefault(doc, min(x.cand.passage_rank for x in chosen if x.cand.chunk.document_id == doc))
        leading = chosen[:1] if lead is not None and chosen and chosen[0].cand is lead else []
        rest = sorted(
            chosen[len(leading):],
            key=lambda c: (first_seen[c.cand.chunk.document_id], c.cand.chunk.document_id, c.spans[0][0]),
        )
        return leading + rest

    def continued(
        self, chosen: list[Chosen], cands: list[Candidate], document_text: Callable[[StoredChunk], str]
    ) -> list[Chosen]:
        """Each chosen sentence quoted with the sentences of its paragraph that continue it: the one
        before when it opens by referring back ("This exception shall not apply ..."), the ones after
        that refer back to it or score close to it ("HITL refers to ..." after "Oversight may be
        achieved through ... HITL ..."), within ``continuation_sentences`` and the answer's length.
        Each sentence keeps its own citation, so every sentence of the answer is cited."""
        config = self.settings
        if config.continuation_sentences <= 0:
            return chosen
        by_start = {(c.chunk.id, c.start): c for c in cands}
        size = sum(b - a for c in chosen for a, b in c.spans)
        out: list[Chosen] = []
        for index, choice in enumerate(chosen):
            cand = choice.cand
            first, last = choice.spans[0], choice.spans[-1]
            if last[1] != cand.end or len(choice.spans) > 1 or first[0] != cand.start:
                out.append(choice)  # an item quoted with its lead-in is whole as it is
                continue
            text = document_text(cand.chunk)
            sentences = cand.chunk.sentences
            position = next((i for i, x in enumerate(sentences) if x.start == cand.start), None)
            if position is None:
                out.append(choice)
                continue
            others = [(a, b) for k, c in enumerate(chosen) if k != index and c.cand.chunk.document_id == cand.chunk.document_id
                      for a, b in c.spans]
            free = _free_of(others)
            spans, end, added = [(cand.start, cand.end)], cand.end, 0
            if position > 0 and _REFERS_BACK.match(cand.text):
                before = sentences[position - 1]
                if _same_paragraph(text, before.end, cand.start) and free(before.start, cand.start) and \
                        size + before.end - before.start <= config.max_answer_chars:
                    size += before.end - before.start
                    spans.insert(0, (before.start, before.end))
                    added += 1
            while added < config.continuation_sentences and position + 1 < len(sentences):
                after = sentences[position + 1]
                body = text[after.start:after.end]
                follower = by_start.get((cand.chunk.id, after.start))
                close = follower is not None and follower.choice >= config.continuation_share * cand.choice
                if not (_REFERS_BACK.match(body) or close) or not _same_paragraph(text, end, after.start):
                    break
                if not free(end, after.end) or size + after.end - end > config.max_answer_chars:
                    break
                size += after.end - after.start
                spans.append((after.start, after.end))
                end = after.end
                position += 1
                added += 1
            out.append(Chosen(cand, spans) if len(spans) > 1 else choice)
        return out


# a sentence that opens by referring to the one before it ("This year", "that week": a time, not a reference)
_REFERS_BACK = re.compile(
    r"^\W*(?:(?:This|These|That|Those)(?!\s+(?:year|week|month|day|time|morning|evening|summer|spring|autumn|"
    r"winter|season|quarter|decade|century)s?\b)|Such|It|Its|They|Their|However|But|Nevertheless|Nonetheless|"
    r"Accordingly|Therefore|Thus|In (?:that|this|such a) case|To this end|For this purpose|Conversely)\b"
)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t\xa0]*\n")


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _title_words(title: str) -> frozenset[str]:
    """A title's words, singular too ("measures" and "measure")."""
    words = [base_form(w) for w in query_terms(title)]
    return frozenset(words) | frozenset(_singular(w) for w in words)


def overlaps(spans: Iterable[tuple[int, int]], taken: Iterable[tuple[int, int]]) -> bool:
    """Whether any of ``spans`` overlaps any of the ``taken`` spans (of the same document)."""
    taken = list(taken)
    return any(a < y and x < b for a, b in spans for x, y in taken)


def shown_of(chosen: Iterable[Chosen], document_id: str) -> list[tuple[int, int]]:
    """The spans the ``chosen`` sentences quote from ``document_id``."""
    return [span for c in chosen if c.cand.chunk.document_id == document_id for span in c.spans]


def _free_of(taken: list[tuple[int, int]]) -> Callable[[int, int], bool]:
    """Whether a span of the same document overlaps none of the ``taken`` ones."""
    return lambda a, b: not overlaps([(a, b)], taken)


def _same_paragraph(text: str, end: int, start: int) -> bool:
    """Nothing but white space within a paragraph stands between ``end`` and ``start``."""
    gap = text[end:start]
    return not gap.strip() and _PARAGRAPH_BREAK.search(gap) is None


def term_weights(terms: list[str], document_frequency: dict[str, int], total_chunks: int) -> dict[str, float]:
    n = max(total_chunks, 1)
    return {t: math.log(1 + n / (1 + document_frequency.get(t, 0))) for t in terms}


def evidence(cands: list[Candidate], weights: dict[str, float], unseen_terms: set[str]) -> Evidence:
    """``unseen_terms``: question terms the corpus never uses that are also uncommon words."""
    best = max((c.score for c in cands), default=0.0)
    total = sum(weights.values()) or 1.0
    unseen = sum(w for t, w in weights.items() if t in unseen_terms) / total
    return Evidence(best_sentence=best, unseen=unseen)


def answer_events(
    question: str,
    retrieved: Retrieval,
    parts: list[str],
    citations: list[Citation],
    confidence: float,
    **extra: Any,
) -> Iterator[DeltaEvent | CitationsEvent | DoneEvent]:
    """The events of a quoted answer: its sentences, its citations, then the whole answer
    (``NOT_FOUND`` and no notes when nothing is cited). ``extra``: further Answer fields."""
    if not citations:
        parts, extra = [NOT_FOUND], {**extra, "notes": []}
    for index, part in enumerate(parts):
        yield DeltaEvent(index, part)
    yield CitationsEvent(citations)
    yield DoneEvent(
        Answer(
            question=question,
            answer=" ".join(parts),
            abstained=not citations,
            citations=citations,
            passages=retrieved.passages,
            confidence=round(confidence, 4),
            **extra,
        )
    )


def compose(
    chosen: list[Chosen], document_text: Callable[[StoredChunk], str], first: int = 1
) -> tuple[list[str], list[Citation]]:
    """The answer's sentences, each with its [n] marker (a list item quoted apart from its lead-in,
    or a sentence with the one continuing it, gets one per span), and the citations behind them,
    numbered from ``first`` (a later group of an answer continues the numbers of the earlier ones).

    ``document_text(chunk)`` gives the full text of the chunk's document, against
    which every citation is checked before it is returned.
    """
    parts: list[str] = []
    citations: list[Citation] = []
    for choice in chosen:
        cand = choice.cand
        text = document_text(cand.chunk)
        pieces: list[str] = []
        for start, end in choice.spans:
            quote = text[start:end]
            citation = Citation(
                n=first + len(citations),
                document_id=cand.chunk.document_id,
                title=cand.chunk.title,
                section=cand.sentence.section or cand.chunk.section,
                page=cand.sentence.page if cand.sentence.page is not None else cand.chunk.page,
                start=start,
                end=end,
                quote=quote,
                score=round(cand.score, 4),
            )
            if not is_valid(citation, text):  # never emit a citation that points nowhere
                continue
            citations.append(citation)
            pieces.append(f"{display_quote(quote)} [{citation.n}]")
        if pieces:
            parts.append(" ".join(pieces))
    return parts, citations
