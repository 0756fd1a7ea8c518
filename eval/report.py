"""Write an evaluation report folder.

* ``results.json``: the summary, every per-question result and the run's notes;
* ``report.md``: every metric for the service and each baseline side by side,
  a per-category breakdown, the ten worst questions and what went wrong;
* ``recall_at_k.png``: recall@k curves, service against baselines;
* ``latency.png``: distribution of ask and search latencies.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.generation import render_generation
from eval.metrics import RECALL_KS, percentile
from eval.provisions import PROVISION_KS

WORST_COUNT = 10

# (key, label) of each row of the summary table; retrieval rows apply to baselines too.
RETRIEVAL_ROWS = [
    *((f"recall@{k}", f"recall@{k}") for k in RECALL_KS), ("mrr", "MRR"), ("ndcg@10", "nDCG@10"),
    *((f"provision_hit@{k}", f"right provision in top {k}") for k in PROVISION_KS),
]
SERVICE_ROWS = [
    ("citation_validity", "citation validity"),
    ("markers_match", "answer markers match its citations"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("cited_sentence_share", "sentences with a citation"),
    ("f1", "answer token F1"),
    ("similarity", "answer embedding similarity"),
    ("direct_answer_accuracy", "direct answer right (when / how much / who questions)"),
    ("abstention_precision", "abstention precision"),
    ("abstention_recall", "abstention recall"),
    ("false_abstention_rate", "false abstention rate"),
    ("caught_rate", "unanswerable refused or flagged"),
    ("false_flag_rate", "answerable flagged"),
    ("error_rate", "error rate"),
    ("latency_p50_ms", "ask latency p50 (ms)"),
    ("latency_p95_ms", "ask latency p95 (ms)"),
]
SEARCH_ROWS = [("search_latency_p50_ms", "search latency p50 (ms)"), ("search_latency_p95_ms", "search latency p95 (ms)")]


def write_report(results: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], out_dir: Path | str,
                 notes: Sequence[str] = ()) -> dict[str, Path]:
    """Write results.json, report.md and the charts into ``out_dir``; returns their paths by name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "results": out / "results.json",
        "report": out / "report.md",
        "recall_chart": out / "recall_at_k.png",
        "latency_chart": out / "latency.png",
    }
    payload = {"summary": summary, "results": list(results), "notes": list(notes)}
    # compact: the Markdown report is for reading; this file is for tools (and stays small in git)
    paths["results"].write_text(json.dumps(_clean(payload), separators=(",", ":"), ensure_ascii=False) + "\n", encoding="utf-8")
    plot_recall(summary, paths["recall_chart"])
    plot_latency(results, paths["latency_chart"])
    paths["report"].write_text(render_markdown(results, summary, notes), encoding="utf-8")
    return paths


# ---------------------------------------------------------------- worst questions


def problems(result: Mapping[str, Any]) -> list[str]:
    """What went wrong on one question, in words (empty when nothing did)."""
    found: list[str] = []
    if result.get("error"):
        return [f"error: {result['error']}"]
    answerable = bool(result.get("answerable"))
    abstained = bool(result.get("abstained"))
    if answerable and abstained:
        ranks = [i for i, p in enumerate(result.get("passages") or [], start=1) if p.get("hit")]
        where = f"evidence was retrieved at rank {ranks[0]}" if ranks else "evidence was not retrieved"
        found.append(f"wrong abstention: abstained on an answerable question ({where})")
    if not answerable and not abstained:
        found.append("answered an unanswerable question")
    gold = result.get("gold") or []
    recall = result.get("recall@10")
    if recall is not None and recall < 1:
        found.append(f"missed evidence: {round(recall * len(gold))} of {len(gold)} gold spans in the top 10")
    cites = result.get("n_citations", 0)
    invalid = cites - result.get("n_valid_citations", 0)
    if invalid:
        found.append(f"invalid citation: {invalid} of {cites} quotes differ from the document text")
    precision = result.get("citation_precision")
    if precision is not None and precision < 1 and not abstained:
        off = sum(1 for c in result.get("citations", []) if not c.get("on_gold"))
        found.append(f"citations off the evidence: {off} of {cites}")
    share = result.get("cited_sentence_share")
    if share is not None and share < 1:
        found.append(f"sentences without a citation: {1 - share:.0%}")
    for note in result.get("unlocated_evidence") or []:
        found.append(f"gold quote not located ({note})")
    return found


def badness(result: Mapping[str, Any]) -> float:
    """A score ordering questions from worst to best (0 when nothing went wrong)."""
    if result.get("error"):
        return 10.0
    score = 0.0
    answerable = bool(result.get("answerable"))
    abstained = bool(result.get("abstained"))
    if answerable == abstained:
        score += 4.0
    cites = result.get("n_citations", 0)
    if cites:
        score += 4.0 * (cites - result.get("n_valid_citations", 0)) / cites
    for key, weight in (("recall@10", 2.0), ("mrr", 1.0), ("citation_precision", 1.0), ("cited_sentence_share", 1.0)):
        value = result.get(key)
        if value is not None:
            score += weight * (1 - value)
    if answerable and result.get("f1") is not None:
        score += 0.5 * (1 - result["f1"])
    return score


def worst_questions(results: Sequence[Mapping[str, Any]], count: int = WORST_COUNT) -> list[Mapping[str, Any]]:
    """The ``count`` questions with the highest :func:`badness` (ties by id), those with a problem only."""
    ranked = sorted(results, key=lambda r: (-badness(r), str(r.get("id"))))
    return [r for r in ranked if problems(r)][:count]


# ---------------------------------------------------------------- markdown


def fmt(value: Any, ms: bool = False) -> str:
    """A table cell: 3 decimals for scores, 1 for milliseconds (``ms``), "–" for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}" if ms else f"{value:.3f}"
    return str(value)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render_markdown(results: Sequence[Mapping[str, Any]], summary: Mapping[str, Any], notes: Sequence[str] = ()) -> str:
    """The report as Markdown text."""
    service = summary.get("service", {})
    baselines: Mapping[str, Mapping[str, Any]] = summary.get("baselines", {})
    names = list(baselines)
    lines = [f"# Evaluation: {summary.get('dataset', '?')}", ""]
    lines.append(
        f"{summary.get('questions', len(results))} questions ({summary.get('answerable', '?')} answerable), "
        f"service {summary.get('mode', '?')}{' at ' + summary['url'] if summary.get('url') else ''}, "
        f"{summary.get('created', '')}. Errors: {summary.get('errors', 0)}; "
        f"gold quotes not located: {summary.get('unlocated_evidence', 0)}."
    )
    if summary.get("settings_hash"):
        lines += ["", f"Settings hash `{summary['settings_hash']}` (the tuning values in results.json, `settings`)."]
    setup = summary.get("setup") or {}
    ingest = setup.get("ingest") or {}
    parts = []
    if ingest:
        parts.append(f"ingest {fmt(ingest.get('seconds'), True)} s ({ingest.get('chunks_embedded', 0)} chunks embedded, "
                     f"{ingest.get('unchanged', 0)} documents unchanged)")
    if "langchain_build_s" in setup:
        parts.append(f"LangChain baseline build {fmt(setup['langchain_build_s'], True)} s "
                     f"({setup.get('langchain_chunks', '?')} chunks)")
    if "structure_build_s" in setup:
        parts.append(f"structure-aware baseline build {fmt(setup['structure_build_s'], True)} s "
                     f"({setup.get('structure_chunks', '?')} chunks)")
    if parts:
        lines += ["", "Setup: " + "; ".join(parts) + "."]
    lines += ["", "## Summary", ""]
    header = ["metric", "service", *names]
    rows = [[label, fmt(service.get(key)), *(fmt(baselines[n].get(key)) for n in names)] for key, label in RETRIEVAL_ROWS]
    rows += [[label, fmt(service.get(key), key.endswith("_ms")), *("–" for _ in names)] for key, label in SERVICE_ROWS]
    rows += [[label, fmt(service.get(key), True), *(fmt(baselines[n].get(key), True) for n in names)]
             for key, label in SEARCH_ROWS]
    lines += _table(header, rows)
    lines += [
        "",
        "Retrieval: a passage hits a gold quote when it covers at least 90 % of it; recall@k counts the gold "
        "quotes hit in the top k (both documents' quotes for multi-document questions); MRR and nDCG@10 use binary "
        "relevance. Citations match gold quotes by overlap. Latency percentiles are nearest-rank.",
    ]
    if summary.get("generation"):
        llm = setup.get("llm") or {}
        lines += ["", "## Generated answers", ""]
        if llm:
            lines += [f"Model `{llm.get('model')}` at {llm.get('base_url')}, prompt version {llm.get('prompt_version')}.", ""]
        lines += render_generation(summary["generation"])
        lines += ["", "Shares of sentences are pooled over all generated sentences (kept + dropped); the fallback "
                  "rate is over the questions that asked for a generated answer."]
    lines += _abstention_section(summary)
    lines += ["", "## By category", ""]
    by_cat: Mapping[str, Mapping[str, Mapping[str, Any]]] = summary.get("by_category", {})
    cat_header = ["category", "n", "recall@5", "MRR", "citation validity", "citation precision", "F1",
                  "correct abstention", *(f"{n} recall@5" for n in names)]
    cat_rows = []
    for category, row in by_cat.get("service", {}).items():
        cells = [category, fmt(int(row.get("n") or 0))]
        cells += [fmt(row.get(k)) for k in ("recall@5", "mrr", "citation_validity", "citation_precision", "f1",
                                            "correct_abstention")]
        cells += [fmt(by_cat.get(n, {}).get(category, {}).get("recall@5")) for n in names]
        cat_rows.append(cells)
    lines += _table(cat_header, cat_rows)
    lines += ["", f"## The {WORST_COUNT} worst questions", ""]
    worst = worst_questions(results)
    if not worst:
        lines.append("No question had a problem.")
    for result in worst:
        lines.append(f"- **{result.get('id')}** ({result.get('category')}): {result.get('question')}")
        for problem in problems(result):
            lines.append(f"  - {problem}")
        if result.get("answer"):
            lines.append(f"  - answer: {_short(str(result['answer']))}")
    lines += ["", "## Charts", "", "![recall@k](recall_at_k.png)", "", "![latency](latency.png)", ""]
    if notes:
        lines += ["## Notes", "", *(f"- {n}" for n in notes), ""]
    return "\n".join(lines)


def _abstention_section(summary: Mapping[str, Any]) -> list[str]:
    """Refusals on the held-out and calibration parts, and what was done with each kind of question."""
    lines = ["", "## Refusals", ""]
    split = summary.get("abstention_by_split") or {}
    keys = [("questions", "questions"), ("abstention_precision", "abstention precision"),
            ("abstention_recall", "abstention recall"), ("caught_rate", "unanswerable refused or flagged"),
            ("false_abstention_rate", "answerable refused (false abstention)"),
            ("false_flag_rate", "answerable flagged")]
    names = [n for n in ("heldout", "calibration") if n in split]
    if names:
        rows = [[label, *(fmt(split[n].get(key)) if key != "questions" else str(split[n].get(key, 0)) for n in names)]
                for key, label in keys]
        lines += _table(["", *(("held out (never used to choose thresholds)" if n == "heldout" else n) for n in names)], rows)
        lines.append("")
    table = summary.get("confusion") or {}
    if table:
        lines += _table(["question kind", "answered", "answered, flagged", "refused"],
                        [[kind, *(str(counts.get(o, 0)) for o in ("answered", "flagged", "refused"))]
                         for kind, counts in sorted(table.items())])
        lines += ["", "A flag (premise_not_supported) answers with what the text says and states that the named "
                  "documents never mention what the question assumes."]
    return lines


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------- charts


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_recall(summary: Mapping[str, Any], path: Path) -> None:
    """recall@k against k for the service and each baseline."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    systems = {"service": summary.get("service", {}), **summary.get("baselines", {})}
    for name, scores in systems.items():
        points = [(k, scores.get(f"recall@{k}")) for k in RECALL_KS]
        points = [(k, v) for k, v in points if v is not None]
        if points:
            ax.plot([k for k, _ in points], [v for _, v in points], marker="o",
                    linewidth=2.5 if name == "service" else 1.5, label=name)
    ax.set_xticks(list(RECALL_KS))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("k (passages)")
    ax.set_ylabel("recall@k")
    ax.set_title(f"Evidence recall@k: {summary.get('dataset', '')}")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_latency(results: Sequence[Mapping[str, Any]], path: Path) -> None:
    """Histogram of the service's ask and search latencies (ms)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    series = {
        label: [float(r[key]) for r in results if r.get(key) is not None]
        for key, label in (("latency_ms", "ask"), ("search_latency_ms", "search"))
    }
    every = [v for values in series.values() for v in values]
    if every:
        count = min(30, max(5, len(every) // 4))
        low, high = min(every), max(every)
        width = (high - low) / count or 1.0
        edges = [low + i * width for i in range(count + 1)]
        for label, values in series.items():
            if values:
                p50, p95 = percentile(values, 50), percentile(values, 95)
                ax.hist(values, bins=edges, alpha=0.6, label=f"{label}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Service latency")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN and infinities become null, tuples become lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
