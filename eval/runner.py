"""Run an evaluation dataset through the service and score every question.

Two ways to reach the service:

* in process (default): a ``Pipeline`` built from ``Settings`` over a data
  folder kept for evaluation (``<data_dir>/eval/<dataset>``, reused between
  runs so that re-ingesting is a no-op); it ingests the corpus the dataset
  needs (``news``: ``settings.corpus_dir``; anything else: ``settings.shared_corpus``);
* over HTTP (``url``): ``POST /ask``, ``POST /search`` and
  ``GET /documents/{id}/text`` of a running server.

For each question it records the answer, citations, abstention and latency
of ``ask``, the passages of ``search``, and, unless baselines are off, the
passages of the BM25-only, dense-only and LangChain baselines, with the
metrics of :mod:`eval.metrics` for each.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote as _quote

from eval.baselines import LangChainBaseline, PipelineBaseline, passage_dict
from eval.datasets import Question, load_dataset, locate
from eval.generation import generation_fields, generation_summary
from eval.metrics import (
    RECALL_KS,
    Quote,
    Span,
    abstention_scores,
    average,
    average_by_category,
    citation_precision,
    citation_recall,
    cited_sentence_share,
    confusion,
    covers,
    embedding_similarity,
    is_valid_citation,
    latency_summary,
    outcome,
    overlaps,
    refusal_scores,
    retrieval_scores,
    strip_citation_markers,
    token_f1,
    value_found,
)
from eval.provisions import PROVISION_KS, Provisions
from eval.structure_baseline import StructureBaseline
from rag.answering.direct import asked_kind
from rag.citations import markers
from rag.config import Settings, settings_hash
from rag.contract import PipelineProtocol
from rag.serialize import answer_json

SEARCH_K = 10
FAST_PER_CATEGORY = 8
RETRIEVAL_METRICS = [*(f"recall@{k}" for k in RECALL_KS), "mrr", "ndcg@10", *(f"provision_hit@{k}" for k in PROVISION_KS)]
ANSWER_METRICS = [
    "citation_validity", "markers_match", "citation_precision", "citation_recall", "cited_sentence_share", "f1",
    "similarity",
    "direct_answer_accuracy",
]
SERVICE_METRICS = RETRIEVAL_METRICS + ANSWER_METRICS
BASELINE_NAMES = ("bm25", "dense", "langchain", "structure")


@dataclass
class RunOptions:
    """What to run: the dataset, how to reach the service and how much of it."""

    dataset: str = "news"
    url: str | None = None
    limit: int | None = None
    subset: str | None = None  # "fast" or None
    baselines: bool = True
    data_dir: Path | None = None
    corpus: Path | None = None
    search_k: int = SEARCH_K
    ask_top_k: int | None = None
    progress: bool = True
    answer_mode: str | None = None  # "extractive" | "generative" | "auto"; None: the service's default
    filters: dict[str, Any] | None = None  # passed to ask and search, e.g. {"in_force": True, "as_of": "2024-06-01"}


@dataclass
class RunResult:
    """Per-question results and their summary."""

    results: list[dict[str, Any]]
    summary: dict[str, Any]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- the service, two ways


class Service(Protocol):
    """What the runner needs from the service; both adapters return plain dicts."""

    notes: list[str]

    def ask(
        self, question: str, top_k: int | None, mode: str | None = None, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...
    def search(self, query: str, top_k: int, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...
    def text(self, document_id: str) -> str | None: ...
    def mode_searcher(self, mode: str) -> Any: ...
    def close(self) -> None: ...


class InProcessService:
    """The service as a ``rag.pipeline.Pipeline`` in this process."""

    def __init__(self, pipeline: PipelineProtocol):
        self.pipeline = pipeline
        self.notes: list[str] = []
        self.ingest_report: dict[str, Any] = {}
        self._texts: dict[str, str | None] = {}

    @classmethod
    def open(cls, settings: Settings, corpus: Path, progress: bool = False) -> InProcessService:
        """A pipeline on ``settings`` with ``corpus`` ingested (a no-op when already ingested)."""
        from rag.pipeline import Pipeline

        service = cls(Pipeline(settings))
        report = service.pipeline.ingest([corpus], progress=progress)
        service.notes = [f"ingest: {name} failed: {reason}" for name, reason in report.failed]
        service.ingest_report = {
            "added": len(report.added),
            "updated": len(report.updated),
            "unchanged": len(report.unchanged),
            "failed": len(report.failed),
            "chunks_embedded": report.chunks_embedded,
            "seconds": report.seconds,
        }
        return service

    def ask(
        self, question: str, top_k: int | None, mode: str | None = None, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The pipeline's answer as the JSON shape of ``POST /ask``."""
        return answer_json(self.pipeline.ask(question, top_k=top_k, filters=filters, mode=mode))

    def search(self, query: str, top_k: int, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The pipeline's hybrid search results as dicts."""
        return [passage_dict(p) for p in self.pipeline.search(query, top_k=top_k, filters=filters)]

    def text(self, document_id: str) -> str | None:
        """The normalized text of a document, or ``None`` when the service does not hold it."""
        from rag.errors import DocumentNotFound

        if document_id not in self._texts:
            try:
                self._texts[document_id] = self.pipeline.get_text(document_id)
            except DocumentNotFound:
                self._texts[document_id] = None
        return self._texts[document_id]

    def mode_searcher(self, mode: str) -> Any:
        """A baseline searching the pipeline in one mode ("bm25", "dense")."""
        return PipelineBaseline(self.pipeline, mode)

    def close(self) -> None:
        self.pipeline.close()


class HttpService:
    """The service behind a running server: ``POST /ask``, ``POST /search``, ``GET /documents/{id}/text``."""

    def __init__(self, url: str, client: Any = None, api_key: str | None = None, timeout: float = 300.0):
        import httpx

        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = client or httpx.Client(base_url=url.rstrip("/"), timeout=timeout, headers=headers)
        self.notes: list[str] = []
        self._texts: dict[str, str | None] = {}

    def ask(
        self, question: str, top_k: int | None, mode: str | None = None, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"question": question}
        if top_k is not None:
            body["top_k"] = top_k
        if mode is not None:
            body["mode"] = mode
        if filters:
            body["filters"] = filters
        response = self.client.post("/ask", json=body)
        response.raise_for_status()
        return dict(response.json())

    def search(
        self, query: str, top_k: int, filters: dict[str, Any] | None = None, mode: str | None = None
    ) -> list[dict[str, Any]]:
        body: dict[str, Any] = {"query": query, "top_k": top_k}
        if filters:
            body["filters"] = filters
        if mode is not None:
            body["mode"] = mode
        response = self.client.post("/search", json=body)
        response.raise_for_status()
        return [passage_dict(p) for p in response.json()["results"]]

    def text(self, document_id: str) -> str | None:
        if document_id not in self._texts:
            response = self.client.get(f"/documents/{quote_path(document_id)}/text")
            if response.status_code == 404:
                self._texts[document_id] = None
            else:
                response.raise_for_status()
                self._texts[document_id] = response.text
        return self._texts[document_id]

    def mode_searcher(self, mode: str) -> Any:
        """A baseline on ``POST /search`` with ``mode`` ("bm25", "dense")."""
        return _HttpModeSearcher(self, mode)

    def close(self) -> None:
        self.client.close()


@dataclass
class _HttpModeSearcher:
    service: HttpService
    mode: str

    def search(self, query: str, k: int = SEARCH_K) -> list[dict[str, Any]]:
        return self.service.search(query, k, mode=self.mode)


# ---------------------------------------------------------------- dataset selection


def dataset_label(name_or_path: str) -> str:
    """The short name of a dataset: its name, or the file stem of a path."""
    text = str(name_or_path)
    if "/" in text or "\\" in text or text.endswith(".jsonl"):
        return Path(text).stem
    return text


def gate_key(options: RunOptions) -> str:
    """The key of the dataset's thresholds: ``news``, ``corpus-fast``, ``corpus-limit20``..."""
    key = dataset_label(options.dataset)
    if options.subset == "fast":
        key += "-fast"
    if options.limit is not None:
        key += f"-limit{options.limit}"
    return key


def select_questions(questions: Sequence[Question], limit: int | None = None, subset: str | None = None) -> list[Question]:
    """A deterministic sample that keeps every category.

    Within each category questions are ordered by a hash of their id; then
    categories are taken in turn (round robin) until ``limit`` questions, or
    ``FAST_PER_CATEGORY`` per category for ``subset="fast"``, are chosen. The
    result keeps the dataset's order; a ``limit`` below the number of categories
    keeps the first categories by name. No limit and no subset: every question.
    """
    if subset not in (None, "fast"):
        raise ValueError(f"unknown subset {subset!r} (expected 'fast')")
    if limit is None and subset is None:
        return list(questions)
    groups: dict[str, list[Question]] = {}
    for q in questions:
        groups.setdefault(q.category, []).append(q)
    for members in groups.values():
        members.sort(key=lambda q: hashlib.sha256(q.id.encode()).hexdigest())
    per_category = FAST_PER_CATEGORY if subset == "fast" else len(questions)
    cap = len(questions) if limit is None else max(0, limit)
    chosen: set[str] = set()
    for rank in range(per_category):
        for category in sorted(groups):
            if len(chosen) < cap and rank < len(groups[category]):
                chosen.add(groups[category][rank].id)
    return [q for q in questions if q.id in chosen]


def corpus_for(dataset: str, settings: Settings) -> Path:
    """The corpus a dataset's questions are about: the built-in one for ``news``, else the shared corpus."""
    return Path(settings.corpus_dir) if dataset_label(dataset).startswith("news") else Path(settings.shared_corpus)


# ---------------------------------------------------------------- one question


def gold_for(question: Question, text_of: Callable[[str], str | None]) -> tuple[list[Span], list[str]]:
    """The question's gold spans, and a note for each quote that cannot be located in its document."""
    spans: list[Span] = []
    missing: list[str] = []
    for evidence in question.evidence:
        text = text_of(evidence.document_id)
        found = locate(evidence.quote, text) if text is not None else None
        if found is None:
            why = "unknown document" if text is None else "quote not in text"
            missing.append(f"{evidence.document_id}: {why}: {evidence.quote[:60]!r}")
        else:
            spans.append(Span(evidence.document_id, *found))
    return sorted(set(spans)), missing


def score_passages(
    passages: Sequence[dict[str, Any]], gold: Sequence[Span], k: int, provisions: Provisions | None = None
) -> dict[str, Any]:
    """Retrieval metrics (recall@k, MRR, nDCG@10, and with ``provisions`` provision_hit@k) of the top ``k``
    of a ranked passage list."""
    spans = [Span(p["document_id"], int(p["start"]), int(p["end"])) for p in passages]
    scores: dict[str, Any] = retrieval_scores(spans[:k], gold)
    if provisions is not None:
        scores.update(provisions.scores(spans[:k], gold))
    return scores


def evaluate_question(
    question: Question,
    service: Service,
    baselines: dict[str, Any],
    embed: Callable[[list[str]], Any] | None,
    search_k: int = SEARCH_K,
    ask_top_k: int | None = None,
    answer_mode: str | None = None,
    filters: dict[str, Any] | None = None,
    provisions: Provisions | None = None,
) -> dict[str, Any]:
    """Everything measured for one question: answer, citations, retrieval, baselines, metrics
    (``provisions``: the documents' provisions, for provision_hit@k; one per run, it keeps what it read)."""
    result: dict[str, Any] = {
        "id": question.id,
        "category": question.category,
        "question": question.question,
        "answerable": question.answerable,
        "heldout": question.heldout,
        "reference_answer": question.reference_answer,
        "error": None,
    }
    try:
        gold, missing = gold_for(question, service.text)
        result.update({"gold": [list(s) for s in gold], "unlocated_evidence": missing})
        began = time.perf_counter()
        reply = service.ask(question.question, ask_top_k, answer_mode, filters)
        result["latency_ms"] = (time.perf_counter() - began) * 1000
        began = time.perf_counter()
        passages = service.search(question.question, search_k, filters)
        result["search_latency_ms"] = (time.perf_counter() - began) * 1000
    except Exception as exc:  # one failing question must not stop the run
        result.update({"error": f"{type(exc).__name__}: {exc}", "abstained": None, "answer": None, "citations": []})
        result.update({m: None for m in SERVICE_METRICS})
        result["baselines"] = {}
        return result
    result.update(_answer_metrics(question, reply, gold, service.text, embed))
    result.update(generation_fields(reply))
    result.update(score_passages(passages, gold, search_k, provisions))
    result["passages"] = [_brief(p, gold) for p in passages]
    result["baselines"] = {}
    for name, baseline in baselines.items():
        began = time.perf_counter()
        hits = baseline.search(question.question, search_k)
        scored = score_passages(hits, gold, search_k, provisions)
        scored["search_latency_ms"] = (time.perf_counter() - began) * 1000
        scored["passages"] = [_brief(p, gold) for p in hits]
        result["baselines"][name] = scored
    return result


def _answer_metrics(
    question: Question,
    reply: dict[str, Any],
    gold: Sequence[Span],
    text_of: Callable[[str], str | None],
    embed: Callable[[list[str]], Any] | None,
) -> dict[str, Any]:
    abstained = bool(reply.get("abstained"))
    answer = str(reply.get("answer") or "")
    raw = list(reply.get("citations") or [])
    quotes = [Quote(c["document_id"], int(c["start"]), int(c["end"]), str(c.get("quote", c.get("text", "")))) for c in raw]
    texts = {q.document_id: t for q in quotes if (t := text_of(q.document_id)) is not None}
    citations = [
        {**q._asdict(), "n": c.get("n"), "valid": is_valid_citation(q, texts), "on_gold": any(overlaps(q, g) for g in gold)}
        for q, c in zip(quotes, raw)
    ]
    prediction = "" if abstained else strip_citation_markers(answer)
    reference = question.reference_answer or ""
    answerable = question.answerable
    similarity = None
    if answerable and embed is not None:
        similarity = 0.0 if not prediction else embedding_similarity(prediction, reference, embed)
    flags = [str(f) for f in reply.get("flags") or []]
    direct = reply.get("direct_answer") or None
    direct_text = str(direct.get("text", "")) if isinstance(direct, dict) else None
    # answerable questions asking when, how much, how many, which threshold or who: is the value given right?
    direct_accuracy = None
    if answerable and asked_kind(question.question) is not None:
        references = [reference, *(e.quote for e in question.evidence)]
        direct_accuracy = float(direct_text is not None and value_found(direct_text, references))
    return {
        "answer": answer,
        "abstained": abstained,
        "abstain_reason": reply.get("abstain_reason"),
        "flags": flags,
        "warnings": list(reply.get("warnings") or []),
        "outcome": outcome(abstained, bool(flags)),
        "correct_abstention": float(abstained != answerable),
        "timings_ms": reply.get("timings_ms", {}),
        "citations": citations,
        "n_citations": len(citations),
        "n_valid_citations": sum(1 for c in citations if c["valid"]),
        "citation_validity": (sum(c["valid"] for c in citations) / len(citations)) if citations else None,
        # every [n] of the answer names a citation it carries, and every citation is named
        "markers_match": float(set(markers(answer or "")) == {c.get("n") for c in citations}) if citations else None,
        "citation_precision": citation_precision(quotes, gold),
        "citation_recall": citation_recall(quotes, gold) if answerable else None,
        "cited_sentence_share": None if abstained else cited_sentence_share(answer, reply.get("notes") or ()),
        "f1": token_f1(prediction, reference) if answerable else None,
        "similarity": similarity,
        "direct_answer": direct_text,
        "direct_answer_accuracy": direct_accuracy,
    }


def _brief(passage: dict[str, Any], gold: Sequence[Span]) -> dict[str, Any]:
    span = Span(passage["document_id"], passage["start"], passage["end"])
    return {
        "document_id": span.document_id,
        "start": span.start,
        "end": span.end,
        "score": passage.get("score"),
        "hit": any(covers(span, g) for g in gold),
    }


# ---------------------------------------------------------------- summary


def summarize(results: Sequence[dict[str, Any]], baseline_names: Sequence[str] = ()) -> dict[str, Any]:
    """Averages over questions for the service and each baseline, overall and by category.

    Citation validity is pooled (valid citations / all citations); the other
    per-question metrics are means over the questions where they are defined.
    """
    ok = [r for r in results if r.get("error") is None]
    service = average(ok, SERVICE_METRICS)
    n_cites = sum(r.get("n_citations", 0) for r in ok)
    service["citation_validity"] = sum(r.get("n_valid_citations", 0) for r in ok) / n_cites if n_cites else None
    service.update(abstention_scores([bool(r["abstained"]) for r in ok], [bool(r["answerable"]) for r in ok]))
    service.update(refusal_scores([r["outcome"] for r in ok], [bool(r["answerable"]) for r in ok]))
    parts: dict[str, Any] = {}
    for name, chosen in (("heldout", [r for r in ok if r.get("heldout")]), ("calibration", [r for r in ok if not r.get("heldout")])):
        part: dict[str, Any] = {"questions": len(chosen)}
        part.update(abstention_scores([bool(r["abstained"]) for r in chosen], [bool(r["answerable"]) for r in chosen]))
        part.update(refusal_scores([r["outcome"] for r in chosen], [bool(r["answerable"]) for r in chosen]))
        parts[name] = part
    service["error_rate"] = (len(results) - len(ok)) / len(results) if results else None
    for prefix, key in (("latency", "latency_ms"), ("search_latency", "search_latency_ms")):
        for stat, value in latency_summary([r[key] for r in ok if r.get(key) is not None]).items():
            service[f"{prefix}_{stat}"] = value
    baselines: dict[str, dict[str, Any]] = {}
    by_category: dict[str, Any] = {}
    by_category["service"] = average_by_category(ok, SERVICE_METRICS + ["correct_abstention"])
    for name in baseline_names:
        rows = [{"category": r["category"], **r["baselines"][name]} for r in ok if name in r.get("baselines", {})]
        scores: dict[str, Any] = average(rows, RETRIEVAL_METRICS)
        for stat, value in latency_summary([row["search_latency_ms"] for row in rows]).items():
            scores[f"search_latency_{stat}"] = value
        baselines[name] = scores
        by_category[name] = average_by_category(rows, RETRIEVAL_METRICS)
    return {
        "questions": len(results),
        "generation": generation_summary(ok),
        "answerable": sum(1 for r in results if r["answerable"]),
        "errors": len(results) - len(ok),
        "unlocated_evidence": sum(len(r.get("unlocated_evidence", [])) for r in results),
        "service": service,
        "baselines": baselines,
        "by_category": by_category,
        "abstention_by_split": parts,
        "confusion": confusion(
            (("answerable: " if r["answerable"] else "unanswerable: ") + r["category"], r["outcome"]) for r in ok
        ),
    }


# ---------------------------------------------------------------- the run


def make_embedder(model_name: str | None = None) -> Callable[[list[str]], Any]:
    """An ``embed(texts) -> vectors`` function on the service's sentence-transformers model (loaded once)."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    from eval.baselines import default_model_name

    hf_logging.disable_progress_bar()  # "Loading weights" would print under --quiet
    path = model_name if model_name and Path(model_name).is_dir() else default_model_name()
    model = SentenceTransformer(path, device="cpu")
    return lambda texts: model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False).tolist()


def run(options: RunOptions, settings: Settings | None = None) -> RunResult:
    """Run the dataset through the service (and baselines) and summarize it."""
    from tqdm import tqdm

    settings = settings or Settings()
    questions = select_questions(load_dataset(options.dataset, options.subset), options.limit, options.subset)
    label = dataset_label(options.dataset)
    corpus = Path(options.corpus) if options.corpus else corpus_for(options.dataset, settings)
    data_dir = Path(options.data_dir) if options.data_dir else Path(settings.data_dir) / "eval" / label
    notes: list[str] = []
    setup: dict[str, Any] = {"corpus": str(corpus), "data_dir": str(data_dir)}
    if options.answer_mode != "extractive" and settings.llm.configured:
        from rag.generation.prompt import PROMPT_VERSION

        setup["llm"] = {"base_url": settings.llm.base_url, "model": settings.llm.model, "prompt_version": PROMPT_VERSION}
    began = time.perf_counter()
    if options.url:
        key = settings.api_key.get_secret_value() if settings.api_key is not None else None
        service: Service = HttpService(options.url, api_key=key)
    else:
        if not corpus.is_dir():
            raise FileNotFoundError(f"{corpus}: the corpus for dataset {label!r} is missing")
        local = InProcessService.open(settings.model_copy(update={"data_dir": data_dir}), corpus, options.progress)
        setup["ingest"] = local.ingest_report
        notes.extend(local.notes)
        service = local
    setup["service_setup_s"] = time.perf_counter() - began
    baselines: dict[str, Any] = {}
    try:
        if options.baselines:
            baselines, baseline_notes = build_baselines(service, corpus, data_dir, settings, setup)
            notes.extend(baseline_notes)
        embed = make_embedder(settings.embedding_model)
        bar = tqdm(questions, desc=f"eval {label}", unit="q", disable=not options.progress)
        provisions = Provisions(service.text)
        results = [
            evaluate_question(
                q, service, baselines, embed, options.search_k, options.ask_top_k, options.answer_mode, options.filters,
                provisions,
            )
            for q in bar
        ]
    finally:
        service.close()
    summary = summarize(results, list(baselines))
    summary.update(
        {
            "dataset": label,
            "key": gate_key(options),
            "mode": "http" if options.url else "in-process",
            "url": options.url,
            "answer_mode": options.answer_mode or "auto",
            "setup": setup,
            # the tuning the answers ran with (in HTTP mode: this process's settings, not necessarily the server's)
            "settings_hash": settings_hash(settings),
            "settings": settings.tuning(),
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
    )
    return RunResult(results, summary, notes)


def build_baselines(
    service: Service, corpus: Path, data_dir: Path, settings: Settings, setup: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """The BM25, dense, LangChain and structure-aware baselines for this run (LangChain's index and
    the structure baseline's vectors kept under ``data_dir``)."""
    baselines: dict[str, Any] = {}
    notes: list[str] = []
    for mode in ("bm25", "dense"):
        baselines[mode] = service.mode_searcher(mode)
    if corpus.is_dir():
        began = time.perf_counter()
        langchain = LangChainBaseline()
        report = langchain.build([corpus], data_dir / "langchain-baseline")
        setup["langchain_build_s"] = time.perf_counter() - began
        setup["langchain_chunks"] = report.chunks
        baselines["langchain"] = langchain
        began = time.perf_counter()
        structure = StructureBaseline()
        built = structure.build([corpus], data_dir / "structure-baseline")
        setup["structure_build_s"] = time.perf_counter() - began
        setup["structure_chunks"] = built.chunks
        baselines["structure"] = structure
    else:
        notes.append(f"baselines langchain and structure: corpus {corpus} not found; skipped")
    return baselines, notes


def quote_path(document_id: str) -> str:
    """A document id made safe as one URL path segment."""
    return _quote(document_id, safe="")
