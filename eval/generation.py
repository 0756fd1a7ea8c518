"""Metrics of generated answers: how much of what the model wrote survives verification.

Pure functions over the ``/ask`` JSON of each question:

* per question (:func:`generation_fields`): the answer's mode, sentences kept,
  sentences dropped by reason, the fallback reason, answer length, model time;
* over a run (:func:`generation_summary`): the share of generated sentences
  kept, the share dropped for each reason, the fallback rate and its reasons,
  mean answer length and model latency percentiles.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from eval.metrics import latency_summary

_SENTENCE_END = re.compile(r"(?:\[\d+\])+(?=\s|$)")


def generation_fields(reply: Mapping[str, Any]) -> dict[str, Any]:
    """What one answer says about generation (``kept`` counts sentences of a generated answer)."""
    answer = str(reply.get("answer") or "")
    generated = reply.get("mode") == "generative"
    return {
        "answer_mode": reply.get("mode", "extractive"),
        "kept_sentences": len(_SENTENCE_END.findall(answer)) if generated else 0,
        "dropped": [{"text": d.get("text", ""), "reason": d.get("reason", "")} for d in reply.get("dropped") or []],
        "fallback_reason": reply.get("fallback_reason"),
        "answer_chars": len(answer),
        "model_ms": (reply.get("timings_ms") or {}).get("model_ms"),
    }


def generation_summary(results: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Pooled over the questions; None when no question asked for a generated answer."""
    asked = [r for r in results if r.get("answer_mode") == "generative" or r.get("fallback_reason") or r.get("dropped")]
    if not asked:
        return None
    kept = sum(int(r.get("kept_sentences") or 0) for r in asked)
    reasons = Counter(d["reason"] for r in asked for d in r.get("dropped") or [])
    generated = kept + sum(reasons.values())
    fallbacks = Counter(str(r["fallback_reason"]) for r in asked if r.get("fallback_reason"))
    chars = [int(r.get("answer_chars") or 0) for r in asked]
    summary: dict[str, Any] = {
        "questions": len(asked),
        "generated_answers": sum(1 for r in asked if r.get("answer_mode") == "generative"),
        "generated_sentences": generated,
        "kept_share": kept / generated if generated else None,
        "drop_share": {reason: count / generated for reason, count in sorted(reasons.items())},
        "fallback_rate": sum(fallbacks.values()) / len(asked),
        "fallback_reasons": dict(sorted(fallbacks.items())),
        "answer_chars_mean": sum(chars) / len(chars),
    }
    for stat, value in latency_summary([float(r["model_ms"]) for r in asked if r.get("model_ms") is not None]).items():
        summary[f"model_{stat}"] = value
    return summary


def render_generation(summary: Mapping[str, Any]) -> list[str]:
    """The report's section on generated answers (Markdown lines)."""
    def share(value: Any) -> str:
        return "–" if value is None else f"{value:.1%}"

    def ms(value: Any) -> str:
        return "–" if value is None else f"{value:,.0f}"

    rows = [
        ("questions asked for a generated answer", str(summary["questions"])),
        ("answered with generated sentences", str(summary["generated_answers"])),
        ("generated sentences", str(summary["generated_sentences"])),
        ("kept (verified)", share(summary["kept_share"])),
        *((f"dropped: {reason}", share(value)) for reason, value in summary["drop_share"].items()),
        ("fallback to the extractive answer", share(summary["fallback_rate"])),
        *((f"fallback: {reason}", str(count)) for reason, count in summary["fallback_reasons"].items()),
        ("answer length, mean (characters)", f"{summary['answer_chars_mean']:.0f}"),
        ("model latency p50 / p95 (ms)", f"{ms(summary.get('model_p50_ms'))} / {ms(summary.get('model_p95_ms'))}"),
    ]
    return ["| measure | value |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)]
