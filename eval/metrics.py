"""Evaluation metrics: pure functions over spans, citations, answers and timings.

No I/O and no models here: callers pass plain values (and, for embedding
similarity, an ``embed`` function).

Conventions
-----------
* A *span* is ``(document_id, start, end)``: character offsets into the
  normalized document text, end exclusive, as everywhere in the service.
* *Gold evidence* of a question is a set of spans: each gold quote located in
  its document's text.
* A retrieved passage **hits** a gold span when it is in the same document and
  its ``[start, end)`` covers at least ``MIN_COVER`` (90 %) of the gold span's
  characters. Full cover is the intent; the 10 % slack keeps a gold quote that
  a chunk boundary cuts by a few characters counted as found.
* A citation is a single sentence, usually shorter than a gold quote, so it is
  matched by **overlap** (at least one shared character), not by cover.
* A metric that is undefined for a question (recall with no gold evidence,
  precision with no citations...) is ``None``; averages skip ``None``.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple, Protocol

MIN_COVER = 0.9
RECALL_KS = (1, 3, 5, 10)


class SpanLike(Protocol):
    """Anything with a document id and character offsets (Span, Passage, Citation...)."""

    @property
    def document_id(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...


class QuotedSpanLike(SpanLike, Protocol):
    """A span that also carries the text it claims to quote (a citation)."""

    @property
    def quote(self) -> str: ...


class Span(NamedTuple):
    document_id: str
    start: int
    end: int


class Quote(NamedTuple):
    """A citation reduced to what the metrics need."""

    document_id: str
    start: int
    end: int
    quote: str


# ---------------------------------------------------------------- span relations


def overlap_chars(a: SpanLike, b: SpanLike) -> int:
    """Characters shared by two spans (0 when in different documents or disjoint)."""
    if a.document_id != b.document_id:
        return 0
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def covers(passage: SpanLike, gold: SpanLike, min_fraction: float = MIN_COVER) -> bool:
    """True when ``passage`` covers at least ``min_fraction`` of the characters of ``gold``.

    An empty gold span counts as covered when its position lies inside the passage.
    """
    if passage.document_id != gold.document_id:
        return False
    length = gold.end - gold.start
    if length <= 0:
        return passage.start <= gold.start <= passage.end
    return overlap_chars(passage, gold) >= min_fraction * length - 1e-9


def overlaps(a: SpanLike, b: SpanLike) -> bool:
    """True when two spans share at least one character of the same document."""
    return overlap_chars(a, b) > 0


def hit_gold(passage: SpanLike, gold: Iterable[SpanLike], min_fraction: float = MIN_COVER) -> set[int]:
    """Indices (in iteration order of ``gold``) of the gold spans that ``passage`` hits."""
    return {i for i, g in enumerate(gold) if covers(passage, g, min_fraction)}


# ---------------------------------------------------------------- retrieval


def recall_at_k(retrieved: Sequence[SpanLike], gold: Sequence[SpanLike], k: int) -> float | None:
    """Fraction of the gold spans hit by at least one of the top ``k`` passages.

    Every gold span counts, so for a multi-document question the evidence of
    each document weighs. ``None`` when there is no gold evidence.
    """
    if not gold:
        return None
    hit: set[int] = set()
    for passage in retrieved[: max(k, 0)]:
        hit |= hit_gold(passage, gold)
    return len(hit) / len(gold)


def first_hit_rank(retrieved: Sequence[SpanLike], gold: Sequence[SpanLike]) -> int | None:
    """1-based rank of the first passage that hits any gold span, or ``None``."""
    for rank, passage in enumerate(retrieved, start=1):
        if hit_gold(passage, gold):
            return rank
    return None


def reciprocal_rank(retrieved: Sequence[SpanLike], gold: Sequence[SpanLike]) -> float | None:
    """1 / rank of the first hit (0 when nothing hits); averaged over questions it is MRR.

    ``None`` when there is no gold evidence.
    """
    if not gold:
        return None
    rank = first_hit_rank(retrieved, gold)
    return 0.0 if rank is None else 1.0 / rank


def ndcg_at_k(retrieved: Sequence[SpanLike], gold: Sequence[SpanLike], k: int = 10) -> float | None:
    """nDCG@k with binary relevance.

    A passage has gain 1 when it hits a gold span that no earlier passage hit
    (a second passage over the same evidence adds nothing), else 0; the
    discount at rank r is 1 / log2(r + 1). The ideal ranking puts
    ``min(k, len(gold))`` relevant passages first. ``None`` when there is no
    gold evidence. (When one passage covers two gold spans it earns one gain,
    so such a question can stay below 1.)
    """
    if not gold:
        return None
    seen: set[int] = set()
    dcg = 0.0
    for rank, passage in enumerate(retrieved[: max(k, 0)], start=1):
        new = hit_gold(passage, gold) - seen
        if new:
            dcg += 1.0 / math.log2(rank + 1)
            seen |= new
    ideal = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(gold)) + 1))
    return dcg / ideal if ideal > 0 else 0.0


def retrieval_scores(
    retrieved: Sequence[SpanLike], gold: Sequence[SpanLike], ks: Sequence[int] = RECALL_KS
) -> dict[str, float | None]:
    """recall@k for each k, ``mrr`` (reciprocal rank) and ``ndcg@10`` for one question."""
    scores: dict[str, float | None] = {f"recall@{k}": recall_at_k(retrieved, gold, k) for k in ks}
    scores["mrr"] = reciprocal_rank(retrieved, gold)
    scores["ndcg@10"] = ndcg_at_k(retrieved, gold, 10)
    return scores


# ---------------------------------------------------------------- citations

_MARK = r"\[\s*\d+(?:\s*[,;–-]\s*\d+)*\s*\]"
_MARKER = re.compile(_MARK)
_ABBREVIATIONS = {
    "u.s", "u.k", "e.g", "i.e", "etc", "art", "arts", "no", "nos", "mr", "mrs", "ms", "dr", "st",
    "sec", "para", "fig", "vol", "inc", "ltd", "co", "corp", "jr", "sr", "vs", "cf", "al", "p", "pp",
}
_WORD = re.compile(r"[^\W\d_]{2,}")
# A sentence ends at . ! or ? (with closing quotes/brackets and citation markers
# that follow it), or at citation markers alone, when the next text starts like
# a new sentence (or the line ends).
_SENTENCE_END = re.compile(
    rf"(?:[.!?]+[\"'”’)]*(?:\s*{_MARK})*|(?:\s*{_MARK})+)(?=\s+[\"'“‘(]?[A-Z0-9]|\s*$)"
)


def citation_markers(text: str) -> list[int]:
    """Every citation number in ``text``: ``[1]``, ``[2, 3]`` and ``[4-5]`` give 1, 2, 3, 4, 5."""
    numbers: list[int] = []
    for match in _MARKER.finditer(text):
        inner = match.group(0)[1:-1]
        for part in re.split(r"\s*[,;]\s*", inner.strip()):
            bounds = re.split(r"\s*[–-]\s*", part)
            if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
                low, high = int(bounds[0]), int(bounds[1])
                numbers.extend(range(low, high + 1) if 0 <= high - low < 100 else (low, high))
            elif part.isdigit():
                numbers.append(int(part))
    return numbers


def strip_citation_markers(text: str) -> str:
    """``text`` with its ``[n]`` markers removed and whitespace collapsed."""
    return " ".join(_MARKER.sub(" ", text).split())


def split_sentences(text: str) -> list[str]:
    """Split an answer into sentences; citation markers stay with their sentence.

    A line break always ends a sentence; otherwise a sentence ends at ``.``, ``!``
    or ``?`` (plus any closing quote and ``[n]`` markers) followed by a capital,
    a digit or an opening quote, except:

    * after an abbreviation: a common one (Art., No., Fig.), a word with an
      inner period (U.S., C.F.R.) or a single letter (initials, "v.");
    * when the piece so far has no ``[n]`` marker and fewer than three words,
      as list numbers and captions do ("1.", "(b).", "Fig. 4."): it joins the
      next sentence.
    """
    sentences: list[str] = []
    for line in text.splitlines():
        start = 0
        for match in _SENTENCE_END.finditer(line):
            before = line[start: match.start()]
            last_word = before.rsplit(None, 1)[-1].lower().strip("(\"'“") if before.split() else ""
            abbreviation = last_word in _ABBREVIATIONS or "." in last_word or len(last_word) == 1
            if match.group(0).startswith(".") and abbreviation:
                continue
            piece = line[start: match.end()]
            if not _MARKER.search(piece) and len(_WORD.findall(piece)) < 3:
                continue
            sentences.append(piece.strip())
            start = match.end()
        sentences.append(line[start:].strip())
    return [s for s in sentences if s and strip_citation_markers(s)]


def cited_sentence_share(answer: str, notes: Sequence[str] = ()) -> float | None:
    """Share of the answer's sentences that carry at least one ``[n]`` marker (``None`` if no sentence).
    ``notes``: sentences the service wrote about the evidence (``notes`` of the response), left out:
    they quote nothing."""
    for note in notes:
        answer = answer.replace(note, " ")
    sentences = split_sentences(answer)
    if not sentences:
        return None
    return sum(1 for s in sentences if _MARKER.search(s)) / len(sentences)


def citation_validity(citations: Sequence[QuotedSpanLike], texts: Mapping[str, str]) -> float | None:
    """Share of citations whose quote equals ``texts[document_id][start:end]`` exactly.

    A citation of an unknown document, or with offsets outside the text, is
    invalid. ``None`` when there are no citations.
    """
    if not citations:
        return None
    return sum(1 for c in citations if is_valid_citation(c, texts)) / len(citations)


def is_valid_citation(citation: QuotedSpanLike, texts: Mapping[str, str]) -> bool:
    """True when the citation's quote is exactly its span of the document text."""
    text = texts.get(citation.document_id)
    if text is None or not 0 <= citation.start < citation.end <= len(text):
        return False
    return text[citation.start: citation.end] == citation.quote


def citation_precision(citations: Sequence[SpanLike], gold: Sequence[SpanLike]) -> float | None:
    """Share of citations that overlap some gold span of the question.

    ``None`` when there are no citations or no gold evidence.
    """
    if not citations or not gold:
        return None
    return sum(1 for c in citations if any(overlaps(c, g) for g in gold)) / len(citations)


def citation_recall(citations: Sequence[SpanLike], gold: Sequence[SpanLike]) -> float | None:
    """Share of gold spans overlapped by at least one citation (0 with no citations; ``None`` with no gold)."""
    if not gold:
        return None
    return sum(1 for g in gold if any(overlaps(c, g) for c in citations)) / len(gold)


# ---------------------------------------------------------------- answers

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation) | set("“”‘’–—…")


def normalize_answer(text: str) -> str:
    """SQuAD normalization: lowercase, drop punctuation, drop articles (a, an, the), collapse spaces."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 between two texts after :func:`normalize_answer`.

    When either side has no token the score is 1 if both are empty, else 0.
    """
    pred = normalize_answer(prediction).split()
    ref = normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred)
    recall = common / len(ref)
    return 2 * precision * recall / (precision + recall)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors (0 when either is all zeros)."""
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm > 0 else 0.0


def embedding_similarity(
    prediction: str, reference: str, embed: Callable[[list[str]], Sequence[Sequence[float]]]
) -> float | None:
    """Cosine similarity of the embeddings of two texts; ``embed`` maps a list of texts to vectors.

    ``None`` when either text is blank.
    """
    if not prediction.strip() or not reference.strip():
        return None
    vectors = embed([prediction, reference])
    return cosine(vectors[0], vectors[1])


def value_found(value: str, references: Iterable[str]) -> bool:
    """True when ``value`` (a date, an amount, a name) appears in one of ``references``, compared
    on letters and digits only ("2 August 2026" is found in "from 2 August 2026,")."""
    key = "".join(ch for ch in value.lower() if ch.isalnum())
    return bool(key) and any(key in "".join(ch for ch in ref.lower() if ch.isalnum()) for ref in references)


# ---------------------------------------------------------------- abstention


def abstention_scores(abstained: Sequence[bool], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Abstention quality over a set of questions.

    * ``abstention_precision``: of the questions the service abstained on, the share that were unanswerable;
    * ``abstention_recall``: of the unanswerable questions, the share it abstained on;
    * ``false_abstention_rate``: of the answerable questions, the share it abstained on.

    Each is ``None`` when its denominator is zero.
    """
    if len(abstained) != len(answerable):
        raise ValueError("abstained and answerable differ in length")
    pairs = list(zip(abstained, answerable))
    true_pos = sum(1 for a, ok in pairs if a and not ok)
    n_abstained = sum(1 for a, _ in pairs if a)
    n_unanswerable = sum(1 for _, ok in pairs if not ok)
    n_answerable = len(pairs) - n_unanswerable
    false_abstentions = sum(1 for a, ok in pairs if a and ok)
    return {
        "abstention_precision": _ratio(true_pos, n_abstained),
        "abstention_recall": _ratio(true_pos, n_unanswerable),
        "false_abstention_rate": _ratio(false_abstentions, n_answerable),
    }


def outcome(abstained: bool, flagged: bool) -> str:
    """What the service did with a question: "refused", "flagged" (answered, but with a flag
    such as premise_not_supported) or "answered"."""
    return "refused" if abstained else "flagged" if flagged else "answered"


OUTCOMES = ("answered", "flagged", "refused")


def confusion(rows: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Counts of outcomes per group: ``rows`` of (group, outcome), e.g. (category, "refused")."""
    table: dict[str, dict[str, int]] = {}
    for group, result in rows:
        table.setdefault(group, dict.fromkeys(OUTCOMES, 0))[result] += 1
    return table


def refusal_scores(outcomes: Sequence[str], answerable: Sequence[bool]) -> dict[str, float | None]:
    """Refused-or-flagged quality: the share of unanswerable questions refused or flagged
    (``caught_rate``), of answerable ones refused (``false_refusal_rate``) and flagged
    (``false_flag_rate``)."""
    if len(outcomes) != len(answerable):
        raise ValueError("outcomes and answerable differ in length")
    pairs = list(zip(outcomes, answerable))
    unanswerable = [o for o, ok in pairs if not ok]
    answered = [o for o, ok in pairs if ok]
    return {
        "caught_rate": _ratio(sum(1 for o in unanswerable if o != "answered"), len(unanswerable)),
        "false_refusal_rate": _ratio(sum(1 for o in answered if o == "refused"), len(answered)),
        "false_flag_rate": _ratio(sum(1 for o in answered if o == "flagged"), len(answered)),
    }


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


# ---------------------------------------------------------------- latency


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0 < q <= 100) by the nearest-rank method.

    The smallest value such that at least q % of the values are at or below
    it: the value of rank ``ceil(q / 100 * n)`` in ascending order. It is
    always an observed value. ``None`` for no values.
    """
    if not 0 < q <= 100:
        raise ValueError("q must be in (0, 100]")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered) - 1e-9))
    return float(ordered[rank - 1])


def latency_summary(values_ms: Sequence[float]) -> dict[str, float | None]:
    """p50, p95 (nearest rank), mean and max of latencies in milliseconds."""
    return {
        "p50_ms": percentile(values_ms, 50),
        "p95_ms": percentile(values_ms, 95),
        "mean_ms": sum(values_ms) / len(values_ms) if values_ms else None,
        "max_ms": float(max(values_ms)) if values_ms else None,
    }


# ---------------------------------------------------------------- aggregation


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not ``None`` (``None`` when none are left)."""
    kept = [float(v) for v in values if v is not None]
    return sum(kept) / len(kept) if kept else None


def average(results: Sequence[Mapping[str, Any]], metrics: Sequence[str]) -> dict[str, float | None]:
    """Per-metric mean over per-question result dicts, skipping ``None`` and missing values."""
    return {m: mean(r.get(m) for r in results) for m in metrics}


def average_by_category(
    results: Sequence[Mapping[str, Any]], metrics: Sequence[str], key: str = "category"
) -> dict[str, dict[str, float | None]]:
    """Per-category means of ``metrics`` (categories sorted), each with ``n``, the question count."""
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for result in results:
        groups.setdefault(str(result.get(key)), []).append(result)
    table: dict[str, dict[str, float | None]] = {}
    for category in sorted(groups):
        row: dict[str, float | None] = {"n": float(len(groups[category]))}
        row.update(average(groups[category], metrics))
        table[category] = row
    return table


def gold_spans(spans: Collection[tuple[str, int, int]]) -> list[Span]:
    """Gold evidence as a sorted, de-duplicated list of :class:`Span`."""
    return sorted({Span(str(d), int(s), int(e)) for d, s, e in spans})
