"""The evaluation runner, report and gate.

The end-to-end test runs the news dataset through the real pipeline and model
in a temporary data folder; the others use a small scripted service (in
process, and over HTTP through ``httpx.MockTransport`` speaking the API's wire
format); the HTTP end-to-end test runs `rag eval --url` against a real server.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.process import ServerProcess, free_port, serve_command
from eval.datasets import Evidence, Question
from eval.gate import Failure, check, gate, load_thresholds, lower_is_better
from eval.report import problems, worst_questions, write_report
from eval.runner import HttpService, RunOptions, evaluate_question, gate_key, select_questions, summarize

DATASET = Path(__file__).resolve().parents[2] / "eval" / "datasets" / "news.jsonl"

TEXT = (
    "The regulation applies to providers of high-risk systems. It enters into force on 1 August 2024. "
    "Fines may reach seven percent of turnover. Member states designate a national authority."
)
DOC = "eu__act.txt"
Q_DATE = Question("q1", "When does it enter into force?", True, "factual", "On 1 August 2024.",
                  (Evidence(DOC, "It enters into force on 1 August 2024."),))
Q_FINE = Question("q2", "How large can fines be?", True, "factual", "Seven percent of turnover.",
                  (Evidence(DOC, "Fines may reach seven percent of turnover."),))
Q_OUT = Question("q3", "What does the Act say about tax?", False, "out_of_scope", None, ())


def _sentence(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


class ScriptedService:
    """Answers from a fixed script: every passage is one sentence of TEXT."""

    notes: list[str] = []

    def __init__(self, broken_citation: bool = False):
        self.broken = broken_citation
        self.filters_seen: list[Any] = []

    def ask(
        self, question: str, top_k: int | None, mode: str | None = None, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        self.filters_seen.append(filters)
        if "tax" in question:
            return {"answer": "Not in the documents.", "abstained": True, "citations": [], "passages": []}
        needle = "It enters into force on 1 August 2024." if "force" in question else "Member states designate a national authority."
        start, end = _sentence(TEXT, needle)
        quote = TEXT[start:end] if not self.broken else TEXT[start:end].upper()
        cite = {"n": 1, "document_id": DOC, "start": start, "end": end, "quote": quote}
        return {"answer": f"{needle} [1]", "abstained": False, "citations": [cite], "passages": []}

    def search(self, query: str, top_k: int, filters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        self.filters_seen.append(filters)
        first = (0, 57)  # "The regulation applies ..." sentence
        date = _sentence(TEXT, "It enters into force on 1 August 2024.")
        order = [date, first] if "force" in query else [first, date]
        return [{"document_id": DOC, "start": s, "end": e, "text": TEXT[s:e], "score": 1.0 / (i + 1)}
                for i, (s, e) in enumerate(order[:top_k])]

    def text(self, document_id: str) -> str | None:
        return TEXT if document_id == DOC else None

    def mode_searcher(self, mode: str) -> Any:
        return None

    def close(self) -> None:
        pass


class Lexical:
    def search(self, query: str, k: int = 10) -> list[dict[str, Any]]:
        s, e = _sentence(TEXT, "Fines may reach seven percent of turnover.")
        return [{"document_id": DOC, "start": s, "end": e, "text": TEXT[s:e], "score": 1.0}]


# ---------------------------------------------------------------- runner on a scripted service


def test_evaluate_question_scores_answer_citations_and_retrieval():
    result = evaluate_question(Q_DATE, ScriptedService(), {"bm25": Lexical()}, embed=None)
    assert result["error"] is None
    assert result["recall@1"] == 1.0 and result["mrr"] == 1.0
    assert result["citation_validity"] == 1.0 and result["citation_precision"] == 1.0
    # 8 answer tokens (it enters into force on 1 august 2024), 4 reference tokens, 4 shared: P 1/2, R 1.
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["baselines"]["bm25"]["recall@10"] == 0.0
    assert problems(result) == []


def test_missed_evidence_and_invalid_citation_are_reported():
    wrong = evaluate_question(Q_FINE, ScriptedService(broken_citation=True), {}, embed=None)
    assert wrong["recall@10"] == 0.0
    assert wrong["citation_validity"] == 0.0
    said = " | ".join(problems(wrong))
    assert "missed evidence: 0 of 1" in said and "invalid citation: 1 of 1" in said
    assert "citations off the evidence" in said


def test_summary_report_and_gate(tmp_path: Path):
    service = ScriptedService()
    results = [evaluate_question(q, service, {"bm25": Lexical()}, embed=None) for q in (Q_DATE, Q_FINE, Q_OUT)]
    summary = summarize(results, ["bm25"])
    summary.update(dataset="toy", key="toy", mode="in-process")
    assert summary["service"]["recall@5"] == 0.5
    assert summary["service"]["citation_validity"] == 1.0
    assert summary["service"]["abstention_recall"] == 1.0
    assert summary["service"]["false_abstention_rate"] == 0.0
    assert summary["baselines"]["bm25"]["recall@5"] == 0.5
    assert summary["by_category"]["service"]["out_of_scope"]["correct_abstention"] == 1.0
    paths = write_report(results, summary, tmp_path / "report")
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())
    text = paths["report"].read_text()
    assert "| recall@5 | 0.500 | 0.500 |" in text and "q2" in text
    assert [r["id"] for r in worst_questions(results)] == ["q2"]
    stored = json.loads(paths["results"].read_text())
    assert len(stored["results"]) == 3 and stored["summary"]["key"] == "toy"
    thresholds = tmp_path / "thresholds.json"
    thresholds.write_text(json.dumps({"_about": "x", "toy": {"recall@5": 0.9, "citation_validity": 1.0}}))
    assert gate(summary, path=thresholds) == [Failure("recall@5", 0.5, 0.9)]
    assert gate(summary, key="other", path=thresholds) is None


def test_one_failing_question_does_not_stop_the_run():
    class Broken(ScriptedService):
        def ask(
            self, question: str, top_k: int | None, mode: str | None = None, filters: dict[str, Any] | None = None
        ) -> dict[str, Any]:
            raise RuntimeError("boom")

    result = evaluate_question(Q_DATE, Broken(), {}, embed=None)
    assert result["error"] == "RuntimeError: boom"
    summary = summarize([result, evaluate_question(Q_OUT, ScriptedService(), {}, None)])
    assert summary["errors"] == 1 and summary["service"]["error_rate"] == 0.5


def test_refusals_are_reported_by_split_and_kind(tmp_path: Path):
    service = ScriptedService()
    held_out = Question("q9", "What tax applies?", False, "out_of_scope", None, (), split="heldout")
    results = [evaluate_question(q, service, {}, None, filters={"in_force": True}) for q in (Q_DATE, Q_FINE, Q_OUT, held_out)]
    assert service.filters_seen and all(f == {"in_force": True} for f in service.filters_seen)
    assert [r["outcome"] for r in results] == ["answered", "answered", "refused", "refused"]
    summary = summarize(results)
    assert summary["abstention_by_split"]["heldout"]["questions"] == 1
    assert summary["abstention_by_split"]["heldout"]["caught_rate"] == 1.0
    assert summary["confusion"]["unanswerable: out_of_scope"] == {"answered": 0, "flagged": 0, "refused": 2}
    assert summary["service"]["false_refusal_rate"] == 0.0
    text = write_report(results, {**summary, "dataset": "toy"}, tmp_path / "report")["report"].read_text()
    assert "## Refusals" in text and "| unanswerable: out_of_scope | 0 | 0 | 2 |" in text


# ---------------------------------------------------------------- selection and gate


def _questions() -> list[Question]:
    made = []
    for category, count in (("factual", 10), ("provision", 9), ("multi_document", 3), ("out_of_scope", 2),
                            ("false_premise", 1), ("wrong_jurisdiction", 1)):
        for i in range(count):
            made.append(Question(f"{category}-{i}", "?", category in {"factual", "provision", "multi_document"},
                                 category, None, ()))
    return made


def test_sample_keeps_every_category_and_is_deterministic():
    questions = _questions()
    sample = select_questions(questions, limit=8)
    assert len(sample) == 8
    assert {q.category for q in sample} == {q.category for q in questions}
    assert [q.id for q in sample] == [q.id for q in select_questions(list(reversed(questions)), limit=8)][::-1]
    fast = select_questions(questions, subset="fast")
    assert len(fast) == 8 + 8 + 3 + 2 + 1 + 1  # FAST_PER_CATEGORY of each, or all when fewer
    assert select_questions(questions) == questions
    assert gate_key(RunOptions(dataset="corpus", subset="fast")) == "corpus-fast"
    assert gate_key(RunOptions(dataset="eval/datasets/news.jsonl")) == "news"


def test_gate_minimums_maximums_and_missing_metrics():
    summary = {"service": {"recall@5": 0.8, "error_rate": 0.1, "latency_p95_ms": 900.0},
               "baselines": {"bm25": {"recall@5": 0.5}}}
    assert check(summary, {"recall@5": 0.8, "error_rate": 0.1, "baseline.bm25.recall@5": 0.5}) == []
    assert check(summary, {"recall@5": 0.81}) == [Failure("recall@5", 0.8, 0.81)]
    assert check(summary, {"error_rate": 0.0}) == [Failure("error_rate", 0.1, 0.0)]
    assert check(summary, {"latency_p95_ms": 500}) == [Failure("latency_p95_ms", 900.0, 500.0)]
    assert check(summary, {"mrr": 0.5}) == [Failure("mrr", None, 0.5)]
    assert lower_is_better("false_abstention_rate") and not lower_is_better("recall@1")
    assert "below the minimum" in str(Failure("mrr", 0.1, 0.5))


def test_stored_thresholds_name_known_metrics():
    from eval.runner import SERVICE_METRICS

    known = set(SERVICE_METRICS) | {"abstention_precision", "abstention_recall", "false_abstention_rate", "error_rate"}
    for key, table in load_thresholds().items():
        for metric, value in table.items():
            assert metric.rsplit(".", 1)[-1] in known or metric.endswith("_ms"), (key, metric)
            assert 0 <= value <= 1 or metric.endswith("_ms")


# ---------------------------------------------------------------- HTTP mode


def _error(status: int, code: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": code.replace("_", " ")}})


def _server() -> tuple[httpx.MockTransport, list[str]]:
    """The scripted service behind the wire contract of api/ (the real server is tested below)."""
    scripted = ScriptedService()
    modes = []

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        if request.method == "POST" and request.url.path == "/ask":
            return httpx.Response(200, json={"question": body["question"], **scripted.ask(body["question"], body.get("top_k")), "timings_ms": {}})
        if request.method == "POST" and request.url.path == "/search":
            if body.get("mode", "hybrid") not in ("hybrid", "dense", "bm25"):
                return _error(422, "validation_error")
            modes.append(body.get("mode", "hybrid"))
            hits = scripted.search(body["query"], body["top_k"])
            return httpx.Response(200, json={"results": [{"title": "Act", "section": None, "page": None, **h} for h in hits]})
        if request.method == "GET" and request.url.path == f"/documents/{DOC}/text":
            return httpx.Response(200, text=TEXT, headers={"content-type": "text/plain; charset=utf-8"})
        if request.url.path.startswith("/documents/"):
            return _error(404, "document_not_found")
        return _error(404, "not_found")

    return httpx.MockTransport(handle), modes


def test_http_mode_reads_ask_search_and_document_text():
    transport, modes = _server()
    service = HttpService("http://testserver", client=httpx.Client(transport=transport, base_url="http://testserver"))
    result = evaluate_question(Q_DATE, service, {}, embed=None)
    assert result["error"] is None
    assert result["citation_validity"] == 1.0 and result["recall@1"] == 1.0
    assert service.text("missing") is None
    assert service.text(DOC) == TEXT
    assert service.mode_searcher("bm25").search("force", 1)[0]["start"] == TEXT.index("It enters")
    assert modes[-1] == "bm25"


# ---------------------------------------------------------------- end to end, real pipeline


@pytest.fixture(scope="module")
def news_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """`rag --data-dir TMP eval --dataset news --gate` run once, in process, with the real pipeline."""
    from rag.cli import main

    tmp = tmp_path_factory.mktemp("news-eval")
    out = tmp / "report"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = main(["--data-dir", str(tmp / "data"), "eval", "--dataset", "news", "--out", str(out), "--gate", "--quiet"])
    return {"tmp": tmp, "out": out, "code": code, "printed": printed.getvalue()}


@pytest.mark.slow
def test_news_end_to_end_with_the_real_pipeline(news_run: dict[str, Any]):
    out, printed = news_run["out"], news_run["printed"]
    assert news_run["code"] == 0, printed
    assert "gate: passed (news)" in printed
    for name in ("results.json", "report.md", "recall_at_k.png", "latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    data = json.loads((out / "results.json").read_text())
    summary, results = data["summary"], data["results"]
    assert summary["questions"] == len(results) == len(DATASET.read_text().strip().splitlines())
    assert set(summary["baselines"]) == {"bm25", "dense", "langchain", "structure"}
    assert Path(summary["setup"]["data_dir"]) == news_run["tmp"] / "data" / "eval" / "news"
    assert summary["errors"] == 0 and summary["unlocated_evidence"] == 0
    for result in results:
        assert {"id", "category", "answerable", "abstained", "citations", "recall@5", "baselines"} <= set(result)
        assert all(c["valid"] for c in result["citations"]), result["id"]
    assert summary["service"]["citation_validity"] in (1.0, None)
    assert "| recall@5 |" in (out / "report.md").read_text()


@pytest.mark.slow
def test_http_mode_against_a_real_server_matches_in_process(news_run: dict[str, Any]):
    """`rag serve` on the data folder the in-process run built; `rag eval --url` must score the same."""
    data_dir = news_run["tmp"] / "data" / "eval" / "news"
    port = free_port()
    with ServerProcess(serve_command(port, "--data-dir", str(data_dir)), port, news_run["tmp"] / "serve.log") as server:
        server.wait_ready(180)
        from rag.cli import main

        out = news_run["tmp"] / "report-http"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            code = main(["--data-dir", str(news_run["tmp"] / "data"), "eval", "--url", server.url, "--out", str(out), "--quiet"])
        assert code == 0, printed.getvalue()
    http = json.loads((out / "results.json").read_text())["summary"]
    local = json.loads((news_run["out"] / "results.json").read_text())["summary"]
    assert http["mode"] == "http" and http["errors"] == 0
    for metric in ("recall@1", "recall@5", "mrr", "ndcg@10", "citation_validity", "citation_precision", "f1",
                   "false_abstention_rate"):
        assert http["service"][metric] == pytest.approx(local["service"][metric]), metric
    for baseline in ("bm25", "dense"):  # POST /search with mode: the same baselines over HTTP
        for metric in ("recall@5", "mrr", "ndcg@10"):
            assert http["baselines"][baseline][metric] == pytest.approx(local["baselines"][baseline][metric]), (baseline, metric)
