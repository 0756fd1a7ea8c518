"""Metrics of generated answers: pure functions over /ask replies."""

from __future__ import annotations

from eval.generation import generation_fields, generation_summary, render_generation


def reply(mode: str, answer: str, dropped=(), fallback=None, model_ms=None) -> dict:
    return {
        "mode": mode, "answer": answer, "fallback_reason": fallback,
        "dropped": [{"text": t, "reason": r, "detail": ""} for t, r in dropped],
        "timings_ms": {"model_ms": model_ms} if model_ms is not None else {},
    }


def test_kept_sentences_are_counted_only_in_generated_answers():
    generated = generation_fields(reply("generative", "One thing. [1] Another thing. [1][2] A third. [2]", model_ms=900.0))
    assert generated["kept_sentences"] == 3 and generated["model_ms"] == 900.0
    extractive = generation_fields(reply("extractive", "A quote. [1] Another quote. [2]", fallback="nothing_verified"))
    assert extractive["kept_sentences"] == 0 and extractive["fallback_reason"] == "nothing_verified"


def test_summary_pools_sentences_and_counts_fallbacks():
    rows = [
        generation_fields(reply("generative", "Kept. [1] Kept too. [2]", [("Made up 9 %.", "unsupported_number")], model_ms=1000.0)),
        generation_fields(reply("extractive", "Quote. [1]", [("No marker.", "no_citation")], "nothing_verified", 3000.0)),
        generation_fields(reply("extractive", "Quote. [1]", [], "model_timeout")),
    ]
    summary = generation_summary(rows)
    assert summary["questions"] == 3 and summary["generated_answers"] == 1
    assert summary["generated_sentences"] == 4
    assert summary["kept_share"] == 0.5
    assert summary["drop_share"] == {"no_citation": 0.25, "unsupported_number": 0.25}
    assert summary["fallback_rate"] == 2 / 3
    assert summary["fallback_reasons"] == {"model_timeout": 1, "nothing_verified": 1}
    assert summary["model_p50_ms"] == 1000.0 and summary["model_max_ms"] == 3000.0
    table = "\n".join(render_generation(summary))
    assert "| kept (verified) | 50.0% |" in table and "| dropped: no_citation | 25.0% |" in table


def test_no_summary_when_nothing_asked_for_generation():
    assert generation_summary([generation_fields(reply("extractive", "Quote. [1]"))]) is None
