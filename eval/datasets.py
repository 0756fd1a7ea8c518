"""Evaluation datasets: questions with gold answers and the exact passages that support them.

A dataset is a JSON Lines file under ``eval/datasets/`` (the format is described in
``eval/datasets/README.md``). ``load_dataset`` reads and validates one; every problem
is reported as a ``DatasetError`` naming the file and line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATASETS_DIR = Path(__file__).resolve().parent / "datasets"

ANSWERABLE_CATEGORIES = frozenset({"factual", "provision", "multi_document", "status"})
UNANSWERABLE_CATEGORIES = frozenset(
    {"out_of_scope", "false_premise", "wrong_jurisdiction", "out_of_corpus", "wrong_provision", "absent_detail"}
)
SPLITS = ("calibration", "heldout")
HELDOUT_SHARE = 4  # questions without a split: one in four (by a hash of the id) is held out
CATEGORIES = ANSWERABLE_CATEGORIES | UNANSWERABLE_CATEGORIES

# The ``--subset fast`` sample of the corpus set (the ``corpus-fast`` gate) is drawn from these
# parts only, so adding parts never changes which questions the gate runs: its thresholds in
# ``eval/thresholds.json`` were measured on that sample.
FAST_CORPUS_PARTS = ("corpus_part_a.jsonl", "corpus_part_b.jsonl")

QUOTE_MIN_CHARS = 40
QUOTE_MAX_CHARS = 300

_REQUIRED = ("id", "question", "answerable", "category", "reference_answer", "evidence")


class DatasetError(ValueError):
    """A dataset file that cannot be loaded: the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Evidence:
    document_id: str
    quote: str


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    answerable: bool
    category: str
    reference_answer: str | None
    evidence: tuple[Evidence, ...]
    documents: tuple[str, ...] = ()
    split: str | None = None  # "calibration" or "heldout"; None: decided by a hash of the id

    @property
    def heldout(self) -> bool:
        """Kept out of calibration: thresholds are never chosen on these questions."""
        if self.split is not None:
            return self.split == "heldout"
        return int(hashlib.sha256(self.id.encode()).hexdigest(), 16) % HELDOUT_SHARE == 0

    @property
    def document_ids(self) -> tuple[str, ...]:
        """Every document the question cites or names, in first-mention order."""
        ids = [e.document_id for e in self.evidence] + list(self.documents)
        return tuple(dict.fromkeys(ids))


def dataset_paths(name_or_path: str | Path, subset: str | None = None) -> list[Path]:
    """The files a dataset name stands for.

    A bare name ("news") is ``eval/datasets/news.jsonl``; "corpus" is ``corpus.jsonl`` if it
    exists, otherwise every ``corpus_part_*.jsonl`` in name order, or only the
    ``FAST_CORPUS_PARTS`` when ``subset`` is "fast". Anything else is a path.
    """
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or "/" in text or "\\" in text or text.endswith(".jsonl"):
        path = Path(name_or_path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such dataset file")
        return [path]
    single = DATASETS_DIR / f"{text}.jsonl"
    if single.is_file():
        return [single]
    if text == "corpus":
        parts = sorted(DATASETS_DIR.glob("corpus_part_*.jsonl"))
        if subset == "fast":
            parts = [path for path in parts if path.name in FAST_CORPUS_PARTS]
        if parts:
            return parts
    raise FileNotFoundError(f"no dataset named {text!r} in {DATASETS_DIR}")


def load_dataset(name_or_path: str | Path, subset: str | None = None) -> list[Question]:
    """Load and validate a dataset by name or path; ids must be unique across all its files.

    ``subset="fast"`` reads only the files the fast sample is drawn from (see ``dataset_paths``).
    """
    questions: list[Question] = []
    seen: dict[str, str] = {}
    for path in dataset_paths(name_or_path, subset):
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                question = parse_line(line, where)
                if question.id in seen:
                    raise DatasetError(f"{where}: duplicate id {question.id!r} (first at {seen[question.id]})")
                seen[question.id] = where
                questions.append(question)
    return questions


def parse_line(line: str, where: str = "<line>") -> Question:
    """One validated question from one line of JSON; ``where`` prefixes every error."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{where}: expected a JSON object, got {_kind(data)}")
    for key in _REQUIRED:
        if key not in data:
            raise DatasetError(f"{where}: missing field {key!r}")
    qid = _text(data, "id", where)
    question = _text(data, "question", where)
    answerable = data["answerable"]
    if not isinstance(answerable, bool):
        raise DatasetError(f"{where}: field 'answerable' must be true or false, got {_kind(answerable)}")
    category = _text(data, "category", where)
    if category not in CATEGORIES:
        raise DatasetError(f"{where}: unknown category {category!r} (expected one of {', '.join(sorted(CATEGORIES))})")
    if answerable != (category in ANSWERABLE_CATEGORIES):
        state = "answerable" if answerable else "unanswerable"
        raise DatasetError(f"{where}: category {category!r} does not match answerable={str(answerable).lower()} ({state})")
    reference = data["reference_answer"]
    if reference is not None and (not isinstance(reference, str) or not reference.strip()):
        raise DatasetError(f"{where}: field 'reference_answer' must be a non-empty string or null, got {_kind(reference)}")
    evidence = _evidence(data["evidence"], where)
    documents = _documents(data.get("documents", []), where)
    split = data.get("split")
    if split is not None and split not in SPLITS:
        raise DatasetError(f"{where}: field 'split' must be one of {', '.join(SPLITS)}, got {split!r}")
    if answerable:
        if reference is None:
            raise DatasetError(f"{where}: answerable question {qid!r} has no reference_answer")
        if not evidence:
            raise DatasetError(f"{where}: answerable question {qid!r} has no evidence")
        if category == "multi_document" and len({e.document_id for e in evidence}) < 2:
            raise DatasetError(f"{where}: multi_document question {qid!r} needs evidence from at least two documents")
    else:
        if reference is not None:
            raise DatasetError(f"{where}: unanswerable question {qid!r} must have reference_answer null")
        if evidence:
            raise DatasetError(f"{where}: unanswerable question {qid!r} must have no evidence")
    return Question(qid, question, answerable, category, reference, evidence, documents, split)


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """The (start, end) span of the first exact occurrence of ``quote`` in ``text``, or None."""
    if not quote:
        return None
    start = text.find(quote)
    return None if start < 0 else (start, start + len(quote))


def _evidence(value: Any, where: str) -> tuple[Evidence, ...]:
    if not isinstance(value, list):
        raise DatasetError(f"{where}: field 'evidence' must be a list, got {_kind(value)}")
    items = []
    for index, item in enumerate(value):
        at = f"{where}: evidence[{index}]"
        if not isinstance(item, dict):
            raise DatasetError(f"{at} must be an object, got {_kind(item)}")
        for key in ("document_id", "quote"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise DatasetError(f"{at}: field {key!r} must be a non-empty string")
        quote = item["quote"]
        if not QUOTE_MIN_CHARS <= len(quote) <= QUOTE_MAX_CHARS:
            raise DatasetError(
                f"{at}: quote is {len(quote)} characters; it must be {QUOTE_MIN_CHARS} to {QUOTE_MAX_CHARS}"
            )
        items.append(Evidence(item["document_id"], quote))
    return tuple(items)


def _documents(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DatasetError(f"{where}: field 'documents' must be a list of document ids")
    return tuple(value)


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"{where}: field {key!r} must be a non-empty string, got {_kind(value)}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "an empty string" if not value.strip() else "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
