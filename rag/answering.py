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
from dataclasses import dataclass

import numpy as np

from .citations import display_quote, is_valid
from .indexing import is_answer_sentence
from .store.documents import StoredChunk, query_terms
from .types import Citation, Passage, Sentence

NOT_FOUND = "The documents do not answer this question."
DENSE_WEIGHT = 0.65
OVERLAP_WEIGHT = 0.35
REDUNDANCY = 0.88  # a sentence this similar to one already chosen adds nothing
RELATIVE_CUTOFF = 0.75  # keep sentences scoring at least this share of the best one
MAX_ANSWER_CHARS = 1200
PASSAGES_READ = 6
PASSAGE_PRIOR = 0.10  # the fused rank of a sentence's passage: 0.10 for the first, 0.05 for the second...
OBLIGATION_BONUS = 0.03
UNSEEN_PENALTY = 0.5


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


@dataclass(frozen=True)
class Evidence:
    """What the abstention decision looks at."""

    best_sentence: float  # best combined sentence score
    unseen: float  # IDF-weighted share of question terms found nowhere in the corpus and uncommon in English

    def confidence(self) -> float:
        """Chosen on the evaluation sets (eval/calibrate.py) over other mixes (such as
        how much of the question the top passages cover): a question whose words the
        corpus has never seen ("jaywalking") is not answered by a close paraphrase."""
        return self.best_sentence - UNSEEN_PENALTY * self.unseen


def _stem(word: str) -> str:
    return word[:5] if len(word) > 5 else word


def term_weights(terms: list[str], document_frequency: dict[str, int], total_chunks: int) -> dict[str, float]:
    n = max(total_chunks, 1)
    return {t: math.log(1 + n / (1 + document_frequency.get(t, 0))) for t in terms}


def overlap(weights: dict[str, float], text: str, ignore: frozenset[str] = frozenset()) -> float:
    """IDF-weighted share of the question's terms that ``text`` contains (by 5-letter
    stems), leaving out the stems in ``ignore``."""
    total = sum(w for t, w in weights.items() if _stem(t) not in ignore)
    if total <= 0:
        return 0.0
    stems = {_stem(w) for w in query_terms(text)}
    return sum(w for t, w in weights.items() if _stem(t) in stems and _stem(t) not in ignore) / total


def title_stems(title: str) -> frozenset[str]:
    """Words of a document's title: a question naming the document ("China's interim
    measures") is answered by the document, not by sentences repeating its name."""
    return frozenset(_stem(w) for w in query_terms(title))


_OBLIGATION = re.compile(r"\b(shall|must|required?|prohibited|may not)\b", re.IGNORECASE)


def candidates(
    query_vector: np.ndarray,
    passages: list[Passage],
    chunks: dict[str, StoredChunk],
    weights: dict[str, float],
    obligations: bool = False,
) -> list[Candidate]:
    """Every answerable sentence of the top passages, scored against the question.

    ``obligations``: the question asks what a text requires, so sentences that
    state a duty ("shall", "must") weigh a little more."""
    out = []
    for rank, passage in enumerate(passages[:PASSAGES_READ]):
        prior = PASSAGE_PRIOR / (1 + rank)
        ignore = title_stems(passage.title)
        for chunk_id in passage.chunk_ids:
            chunk = chunks[chunk_id]
            if chunk.sentence_vectors is None:
                continue
            for sentence, vector in zip(chunk.sentences, chunk.sentence_vectors):
                text = chunk.text[sentence.start - chunk.start:sentence.end - chunk.start]
                if not is_answer_sentence(text) or not vector.any():
                    continue
                dense = float(np.dot(query_vector, vector))
                lexical = overlap(weights, text, ignore)
                score = DENSE_WEIGHT * dense + OVERLAP_WEIGHT * lexical + prior
                if obligations and _OBLIGATION.search(text):
                    score += OBLIGATION_BONUS
                out.append(Candidate(chunk, rank, sentence, sentence.start, sentence.end, text, vector, score, dense, lexical))
    return out


def evidence(cands: list[Candidate], weights: dict[str, float], unseen_terms: set[str]) -> Evidence:
    """``unseen_terms``: question terms the corpus never uses that are also uncommon words."""
    best = max((c.score for c in cands), default=0.0)
    total = sum(weights.values()) or 1.0
    unseen = sum(w for t, w in weights.items() if t in unseen_terms) / total
    return Evidence(best_sentence=best, unseen=unseen)


def select(cands: list[Candidate], max_sentences: int) -> list[Candidate]:
    """The best sentences that say different things, in reading order."""
    ranked = sorted(cands, key=lambda c: c.score, reverse=True)
    if not ranked:
        return []
    floor = ranked[0].score * RELATIVE_CUTOFF
    chosen: list[Candidate] = []
    size = 0
    for cand in ranked:
        if len(chosen) >= max_sentences or cand.score < floor:
            break
        if any(float(np.dot(cand.vector, c.vector)) > REDUNDANCY for c in chosen):
            continue
        if any(c.chunk.document_id == cand.chunk.document_id and c.start < cand.end and cand.start < c.end for c in chosen):
            continue
        if chosen and size + len(cand.text) > MAX_ANSWER_CHARS:
            continue
        chosen.append(cand)
        size += len(cand.text)
    first_seen = {}
    for c in chosen:
        first_seen.setdefault(c.chunk.document_id, min(x.passage_rank for x in chosen if x.chunk.document_id == c.chunk.document_id))
    return sorted(chosen, key=lambda c: (first_seen[c.chunk.document_id], c.chunk.document_id, c.start))


def compose(chosen: list[Candidate], document_text) -> tuple[list[str], list[Citation]]:
    """The answer's sentences, each with its [n] marker, and the citations behind them.

    ``document_text(chunk)`` gives the full text of the chunk's document, against
    which every citation is checked before it is returned.
    """
    parts: list[str] = []
    citations: list[Citation] = []
    for cand in chosen:
        text = document_text(cand.chunk)
        quote = text[cand.start:cand.end]
        citation = Citation(
            n=len(citations) + 1,
            document_id=cand.chunk.document_id,
            title=cand.chunk.title,
            section=cand.sentence.section or cand.chunk.section,
            page=cand.sentence.page if cand.sentence.page is not None else cand.chunk.page,
            start=cand.start,
            end=cand.end,
            quote=quote,
            score=round(cand.score, 4),
        )
        if not is_valid(citation, text):  # never emit a citation that points nowhere
            continue
        citations.append(citation)
        parts.append(f"{display_quote(quote)} [{citation.n}]")
    return parts, citations

