"""The evaluation datasets: schema validation, and every gold quote checked against its document."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache, lru_cache
from pathlib import Path

import pytest

from eval.datasets import (
    DATASETS_DIR,
    FAST_CORPUS_PARTS,
    DatasetError,
    Question,
    dataset_paths,
    load_dataset,
    locate,
    parse_line,
)
from eval.runner import select_questions
from rag.config import Settings
from rag.loading import discover, document_id, load_file, read_catalog
from rag.types import Document

DATASET_FILES = sorted(DATASETS_DIR.glob("*.jsonl"))
SKIP_SHARED = "the shared corpus is not at {path}; set RAG_SHARED_CORPUS to the folder holding catalog.json"


def _shared_corpus() -> Path:
    return Settings().shared_corpus


def _require_shared_corpus() -> Path:
    path = _shared_corpus()
    if not (path / "catalog.json").is_file():
        pytest.skip(SKIP_SHARED.format(path=path))
    return path


@lru_cache(maxsize=1)
def _document_paths() -> dict[str, tuple[Path, Path]]:
    """Document id -> (file, corpus root), over the built-in corpus and the shared one where present."""
    roots = [Settings().corpus_dir, _shared_corpus()]
    found: dict[str, tuple[Path, Path]] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for path, _ in discover([root]):
            rel = path.resolve().relative_to(root.resolve()).as_posix()
            found.setdefault(document_id(rel), (path, root))
    return found


@cache
def _document(doc_id: str) -> Document:
    path, root = _document_paths()[doc_id]
    return load_file(path, root)


def _write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _record(**changes: object) -> str:
    record: dict[str, object] = {
        "id": "t-001",
        "question": "What does the text say?",
        "answerable": True,
        "category": "factual",
        "reference_answer": "It says something.",
        "evidence": [{"document_id": "doc.txt", "quote": "a quote that is comfortably longer than forty characters"}],
    }
    record.update(changes)
    for key in [k for k, v in changes.items() if v is _DROP]:
        del record[key]
    return json.dumps(record)


_DROP = object()
_UNANSWERABLE = {"answerable": False, "category": "out_of_scope", "reference_answer": None, "evidence": []}


# ---------------------------------------------------------------- schema


def test_a_valid_line_loads(tmp_path: Path) -> None:
    questions = load_dataset(_write(tmp_path, _record(), _record(id="t-002", **_UNANSWERABLE)))
    assert [q.id for q in questions] == ["t-001", "t-002"]
    assert isinstance(questions[0], Question)
    assert questions[0].evidence[0].document_id == "doc.txt"
    assert questions[1].evidence == () and questions[1].reference_answer is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "t-001", "question": ', "not valid JSON"),
        ("[1, 2]", "expected a JSON object, got a list"),
        (_record(evidence=_DROP), "missing field 'evidence'"),
        (_record(question=_DROP), "missing field 'question'"),
        (_record(answerable="yes"), "field 'answerable' must be true or false, got a string"),
        (_record(question=""), "field 'question' must be a non-empty string"),
        (_record(id=7), "field 'id' must be a non-empty string, got a number"),
        (_record(reference_answer=3), "field 'reference_answer' must be a non-empty string or null"),
        (_record(category="trivia"), "unknown category 'trivia'"),
        (_record(evidence="doc.txt"), "field 'evidence' must be a list"),
        (_record(evidence=[{"document_id": "doc.txt"}]), "evidence[0]: field 'quote' must be a non-empty string"),
        (_record(evidence=[{"document_id": "doc.txt", "quote": "too short"}]), "quote is 9 characters"),
        (_record(evidence=[]), "answerable question 't-001' has no evidence"),
        (_record(reference_answer=None), "answerable question 't-001' has no reference_answer"),
        (_record(answerable=False), "category 'factual' does not match answerable=false"),
        (_record(category="false_premise"), "category 'false_premise' does not match answerable=true"),
        (_record(**{**_UNANSWERABLE, "evidence": [{"document_id": "d", "quote": "x" * 50}]}), "must have no evidence"),
        (_record(**{**_UNANSWERABLE, "reference_answer": "An answer."}), "must have reference_answer null"),
        (_record(category="multi_document"), "needs evidence from at least two documents"),
        (_record(documents="doc.txt"), "field 'documents' must be a list of document ids"),
    ],
)
def test_bad_lines_are_rejected_with_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, _record(id="t-000"), line)
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    text = str(caught.value)
    assert f"{path}:2:" in text
    assert message in text


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, _record(), "", _record())
    with pytest.raises(DatasetError, match=r"bad\.jsonl:3: duplicate id 't-001' \(first at .*bad\.jsonl:1\)"):
        load_dataset(path)


def test_dataset_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_line("{}", "x.jsonl:1")


def test_names_resolve_beside_the_module() -> None:
    assert dataset_paths("news") == [DATASETS_DIR / "news.jsonl"]
    corpus = dataset_paths("corpus")
    if (DATASETS_DIR / "corpus.jsonl").is_file():
        assert corpus == [DATASETS_DIR / "corpus.jsonl"]
    else:
        assert corpus == sorted(DATASETS_DIR.glob("corpus_part_*.jsonl")) and corpus
    with pytest.raises(FileNotFoundError):
        dataset_paths("no-such-dataset")


def test_corpus_concatenates_the_parts_in_name_order() -> None:
    if (DATASETS_DIR / "corpus.jsonl").is_file():
        pytest.skip("corpus.jsonl exists, so the parts are not used")
    expected = [q.id for path in dataset_paths("corpus") for q in load_dataset(path)]
    assert [q.id for q in load_dataset("corpus")] == expected


def test_the_fast_corpus_sample_ignores_parts_added_later() -> None:
    if (DATASETS_DIR / "corpus.jsonl").is_file():
        pytest.skip("corpus.jsonl exists, so the parts are not used")
    fast_paths = dataset_paths("corpus", subset="fast")
    assert [p.name for p in fast_paths] == [n for n in FAST_CORPUS_PARTS if (DATASETS_DIR / n).is_file()]
    later = {q.id for path in dataset_paths("corpus") if path not in fast_paths for q in load_dataset(path)}
    sample = {q.id for q in select_questions(load_dataset("corpus", subset="fast"), subset="fast")}
    assert later, "no part beyond the fast parts: nothing to check"
    assert sample and not sample & later


def test_locate() -> None:
    text = "The provider shall keep the logs. The deployer shall keep the logs."
    assert locate("shall keep the logs", text) == (13, 32)
    assert locate("the deployer", text) is None
    assert locate("", text) is None


# ---------------------------------------------------------------- gold quotes


@pytest.mark.corpus
@pytest.mark.parametrize("path", DATASET_FILES, ids=[p.name for p in DATASET_FILES])
def test_every_quote_is_verbatim_and_unique_in_its_document(path: Path) -> None:
    questions = load_dataset(path)
    known = _document_paths()
    problems: list[str] = []
    for question in questions:
        if question.answerable and not question.evidence:
            problems.append(f"{question.id}: answerable without evidence")
        for evidence in question.evidence:
            if evidence.document_id not in known:
                if not (_shared_corpus() / "catalog.json").is_file():
                    pytest.skip(SKIP_SHARED.format(path=_shared_corpus()))
                problems.append(f"{question.id}: unknown document {evidence.document_id}")
                continue
            document = _document(evidence.document_id)
            count = document.text.count(evidence.quote)
            if count != 1:
                problems.append(f"{question.id}: quote found {count} times in {evidence.document_id}: {evidence.quote[:70]!r}")
                continue
            span = locate(evidence.quote, document.text)
            assert span is not None
            if evidence.document_id.endswith(".pdf") and document.pages:
                if not any(p.start <= span[0] and span[1] <= p.end for p in document.pages):
                    problems.append(f"{question.id}: quote crosses a page break in {evidence.document_id}")
    assert not problems, "\n".join(problems)


@pytest.mark.corpus
@pytest.mark.parametrize("path", DATASET_FILES, ids=[p.name for p in DATASET_FILES])
def test_named_documents_exist(path: Path) -> None:
    known = _document_paths()
    missing = [
        f"{q.id}: {doc_id}" for q in load_dataset(path) for doc_id in q.documents if doc_id not in known
    ]
    if missing and not (_shared_corpus() / "catalog.json").is_file():
        pytest.skip(SKIP_SHARED.format(path=_shared_corpus()))
    assert not missing, "\n".join(missing)


# ---------------------------------------------------------------- coverage


@pytest.mark.corpus
def test_corpus_set_covers_every_catalogued_document() -> None:
    if not (DATASETS_DIR / "corpus_part_b.jsonl").is_file() and not (DATASETS_DIR / "corpus.jsonl").is_file():
        pytest.skip("corpus_part_b.jsonl does not exist yet; coverage is checked once both parts exist")
    root = _require_shared_corpus()
    questions = load_dataset("corpus")
    catalogued = {document_id(rel) for rel in read_catalog(root)}
    answered = {e.document_id for q in questions if q.answerable for e in q.evidence}
    assert not sorted(catalogued - answered), f"documents without an answerable question: {sorted(catalogued - answered)}"
    categories = Counter(q.category for q in questions)
    assert len(questions) >= 120
    assert sum(not q.answerable for q in questions) >= 20
    assert categories["multi_document"] >= 10
