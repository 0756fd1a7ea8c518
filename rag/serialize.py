"""The one JSON shape of passages, citations and answers (that of ``POST /ask``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .types import Answer, Citation, Passage

__all__ = ["passage_json", "citation_json", "direct_answer_json", "answer_json"]


def passage_json(p: Passage) -> dict[str, Any]:
    return {
        "document_id": p.document_id, "title": p.title, "section": p.section, "page": p.page,
        "start": p.start, "end": p.end, "text": p.text, "score": float(p.score), "status": p.status, "date": p.date,
    }


def citation_json(c: Citation) -> dict[str, Any]:
    return {**asdict(c), "score": float(c.score)}


def direct_answer_json(answer: Answer) -> dict[str, Any] | None:
    """``{text, citation}``: the citation as the answer lists it (with the same marker number)."""
    direct = answer.direct_answer
    if direct is None:
        return None
    listed = next((c for c in answer.citations if c.n == direct.citation.n and c.start == direct.citation.start), None)
    return {"text": direct.text, "citation": citation_json(listed or direct.citation)}


def answer_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "mode": answer.mode,
        "citations": [citation_json(c) for c in answer.citations],
        "passages": [passage_json(p) for p in answer.passages],
        "dropped": [asdict(d) for d in answer.dropped],
        "fallback_reason": answer.fallback_reason,
        "timings_ms": {str(k): float(v) for k, v in answer.timings_ms.items()},
        "abstain_reason": answer.abstain_reason,
        "warnings": list(answer.warnings),
        "flags": list(answer.flags),
        "notes": list(answer.notes),
        "understood": dict(answer.understood),
        "direct_answer": direct_answer_json(answer),
    }
