"""The `rag` command."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import InvalidInput, RagError
from .serialize import answer_json, passage_json


def _filters(args: argparse.Namespace) -> dict[str, Any] | None:
    filters: dict[str, Any] = {}
    if args.document:
        filters["document_ids"] = args.document
    for key in ("jurisdiction", "doc_type"):
        if getattr(args, key):
            filters[key] = getattr(args, key)
    if args.date_from:
        filters["date_from"] = args.date_from
    if args.date_to:
        filters["date_to"] = args.date_to
    if args.in_force:
        filters["in_force"] = True
    if args.as_of:
        filters["as_of"] = args.as_of
    for item in args.filter or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--filter takes KEY=VALUE, not {item!r}")
        filters.setdefault(key, [])
        if not isinstance(filters[key], list):
            filters[key] = [filters[key]]
        filters[key].append(value)
    return filters or None


def _add_query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--top-k", type=int, default=None, help="how many passages (default from settings)")
    parser.add_argument("--document", action="append", metavar="ID", help="only this document (repeatable)")
    parser.add_argument("--jurisdiction", action="append", help="only this jurisdiction, e.g. eu, us, china (repeatable)")
    parser.add_argument("--doc-type", dest="doc_type", action="append", help="only this type, e.g. law (repeatable)")
    parser.add_argument("--date-from", help="only documents dated on or after YYYY-MM-DD")
    parser.add_argument("--date-to", help="only documents dated on or before YYYY-MM-DD")
    parser.add_argument("--in-force", dest="in_force", action="store_true",
                        help="only documents in force (never revoked, superseded or not yet applicable ones)")
    parser.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD",
                        help="as the documents stood on this date: later ones and ones revoked by then left out")
    parser.add_argument("--filter", action="append", metavar="KEY=VALUE", help="any metadata field (repeatable)")
    parser.add_argument("--json", action="store_true", help="print JSON (the same structure as the HTTP API)")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--llm-url", metavar="URL", help="language model server (default: RAG_LLM_BASE_URL)")
    parser.add_argument("--llm-model", metavar="NAME", help="model name on that server (default: RAG_LLM_MODEL)")


def with_model_options(settings: Settings, args: argparse.Namespace) -> Settings:
    """``settings`` with the language model of --llm-url and --llm-model, where given."""
    pairs = (("base_url", getattr(args, "llm_url", None)), ("model", getattr(args, "llm_model", None)))
    update = {key: value for key, value in pairs if value}
    return settings.model_copy(update={"llm": settings.llm.model_copy(update=update)}) if update else settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Ask questions about AI-policy documents; every answer cites the exact passages it quotes.",
    )
    parser.add_argument("--data-dir", type=Path, help="where the stores live (default: RAG_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add or update documents (files or folders)")
    p.add_argument("paths", nargs="+", type=Path)
    p.add_argument("--meta", action="append", metavar="KEY=VALUE", help="metadata for every file ingested (repeatable)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars")

    p = sub.add_parser("documents", help="list the stored documents")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("delete", help="remove a document from every store")
    p.add_argument("document_id")

    sub.add_parser("reindex", help="rebuild the vector and lexical indexes from the document store")

    p = sub.add_parser("search", help="print the passages that best match a query")
    p.add_argument("query")
    p.add_argument("--mode", choices=("hybrid", "dense", "bm25"), default="hybrid")
    _add_query_options(p)

    p = sub.add_parser("ask", help="answer a question with numbered citations")
    p.add_argument("question")
    _add_query_options(p)
    p.add_argument("--mode", choices=("auto", "extractive", "generative"),
                   help="generative: a language model writes the answer, every sentence verified against its quotes; "
                   "auto: generative when a model is configured (default: RAG_ANSWERING__MODE, auto)")
    add_model_options(p)

    p = sub.add_parser("serve", help="run the HTTP API (ingests the built-in corpus when the index is empty)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int, metavar="N",
                   help="processes answering requests (default: RAG_WORKERS, else one per core); "
                   "more than one share a Chroma server (RAG_CHROMA_URL, else one started for the data folder)")

    p = sub.add_parser(
        "eval", help="run the evaluation suite and write a report (needs the eval extra)", add_help=False
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "eval":  # its options belong to the evaluation package, read when it runs
        args.eval_args = rest
    elif rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings(**({"data_dir": args.data_dir} if args.data_dir else {}))
        if args.command in QUESTION_COMMANDS or settings.torch_threads:
            from .embedding import set_model_threads

            set_model_threads(settings.torch_threads or 1)
        return COMMANDS[args.command](args, settings)
    except RagError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _pipeline(settings: Settings, **kwargs):
    from .pipeline import Pipeline

    return Pipeline(settings, **kwargs)


def cmd_ingest(args, settings) -> int:
    metadata = {}
    for item in args.meta or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"--meta takes KEY=VALUE, not {item!r}")
        metadata[key] = value
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise InvalidInput(f"no such file or folder: {', '.join(missing)}")
    report = _pipeline(settings).ingest(args.paths, metadata or None, progress=not args.quiet)
    print(
        f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
        f"{len(report.failed)} failed; {report.chunks_embedded} chunks embedded in {report.seconds:.1f} s"
    )
    for name, reason in report.failed:
        print(f"  failed: {reason}" if reason.startswith(str(name)) else f"  failed: {name}: {reason}", file=sys.stderr)
    return 1 if report.failed else 0


def cmd_documents(args, settings) -> int:
    total, docs = _pipeline(settings).list_documents(0, 100000)
    if args.json:
        print(json.dumps([_document_json(d) for d in docs], indent=2, ensure_ascii=False))
        return 0
    if not docs:
        print(f"no documents in {settings.data_dir}; add some with `rag ingest PATH`")
        return 0
    width = max(len(d.id) for d in docs)
    for d in docs:
        print(f"{d.id:<{width}}  {d.chunk_count:5d} chunks  {d.title}")
        if d.status is not None:
            print(f"{'':<{width}}  {_status_line(d.status)}")
    print(f"{total} documents")
    return 0


def _document_json(d) -> dict:
    info = {k: v for k, v in asdict(d).items() if k != "status"}
    info.update(d.status.to_dict() if d.status is not None else {})
    return info


def _status_line(status) -> str:
    """"revoked (2025-01-20, by ...) · dated 2023-10-30" for the documents listing."""
    state = status.status or "status unknown"
    details = [x for x in (status.revoked_on, f"by {status.revoked_by}" if status.revoked_by else None,
                           f"by {status.superseded_by}" if status.superseded_by else None) if x]
    if details:
        state += f" ({', '.join(details)})"
    dates = [f"dated {status.date}"] if status.date else []
    if status.effective_from:
        dates.append(f"in force from {status.effective_from}")
    if status.applies_from and status.applies_from != status.effective_from:
        dates.append(f"applies from {status.applies_from}")
    return "  ·  ".join([state, *dates])


def cmd_delete(args, settings) -> int:
    _pipeline(settings).delete(args.document_id)
    print(f"deleted {args.document_id}")
    return 0


def cmd_reindex(args, settings) -> int:
    report = _pipeline(settings, allow_index_mismatch=True).reindex(progress=True)
    print(f"reindexed {len(report.updated)} documents, {report.chunks_embedded} chunks in {report.seconds:.1f} s")
    return 1 if report.failed else 0


def _where(item) -> str:
    parts = [item.section] if item.section else []
    if item.page is not None:
        parts.append(f"p. {item.page}")
    parts.append(f"chars {item.start}-{item.end}")
    return ", ".join(parts)


def cmd_search(args, settings) -> int:
    results = _pipeline(settings).search(args.query, args.top_k, _filters(args), mode=args.mode)
    if args.json:
        print(json.dumps({"results": [passage_json(p) for p in results]}, indent=2, ensure_ascii=False))
        return 0
    if not results:
        print("no passages match")
    for i, p in enumerate(results, 1):
        print(f"{i}. {p.title}  [{p.document_id}]{_state(p)}\n   {_where(p)}  score {p.score:.4f}")
        print(textwrap.indent(textwrap.fill(" ".join(p.text.split())[:600], 100), "   "))
        print()
    return 0


def cmd_ask(args, settings) -> int:
    settings = with_model_options(settings, args)
    answer = _pipeline(settings).ask(args.question, args.top_k, _filters(args), mode=args.mode)
    if args.json:
        print(json.dumps(answer_json(answer), indent=2, ensure_ascii=False))
        return 0
    if answer.fallback_reason:
        print(f"note: no generated answer ({answer.fallback_reason}); the extractive answer follows", file=sys.stderr)
    if answer.dropped:
        print(f"note: {len(answer.dropped)} generated sentence(s) failed verification and were left out", file=sys.stderr)
    print(textwrap.fill(answer.answer, 100))
    for warning in answer.warnings:
        print(f"warning: {warning}")
    if answer.citations:
        print("\nSources")
        for c in answer.citations:
            print(f"  [{c.n}] {c.title}{_state(c)}\n      {_where(c)}  ({c.document_id})")
    elif answer.passages:
        print("\nClosest passages (not an answer)")
        for p in answer.passages[:3]:
            print(f"  - {p.title}, {_where(p)}")
    return 0


def _extra(module: str, extra: str):
    """Import a module of an optional part (the HTTP API, the evaluation) only when its command runs."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise RagError(
            f"this command needs the {extra} part, which is not installed ({exc}); "
            f"install it with: pip install 'policy-rag[{extra}]'"
        ) from None


def cmd_serve(args, settings) -> int:
    from api.server import serve  # the HTTP API sits above the core: imported only to serve

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port), ("workers", args.workers)) if v is not None}
    if args.workers is not None and args.workers < 1:
        raise InvalidInput("--workers takes a whole number of at least 1")
    serve(settings.model_copy(update=overrides))
    return 0


def cmd_eval(args, settings) -> int:
    evaluation = _extra("eval.cli", "eval")
    parser = argparse.ArgumentParser(prog="rag eval", description="Run the evaluation suite and write a report.")
    evaluation.add_arguments(parser)
    eval_args = parser.parse_args(args.eval_args)
    eval_args.data_dir = args.data_dir
    return int(evaluation.run(eval_args))


def _state(item) -> str:
    """" (revoked, 2023-10-30)": the status and date of a passage's or citation's document."""
    known = [x for x in (item.status, item.date) if x]
    return f"  ({', '.join(known)})" if known else ""


# One model thread per question: the lexical search runs beside it (see rag/retrieval.py).
QUESTION_COMMANDS = ("ask", "search", "serve")

COMMANDS = {
    "ingest": cmd_ingest,
    "documents": cmd_documents,
    "delete": cmd_delete,
    "reindex": cmd_reindex,
    "search": cmd_search,
    "ask": cmd_ask,
    "serve": cmd_serve,
    "eval": cmd_eval,
}

if __name__ == "__main__":
    sys.exit(main())
