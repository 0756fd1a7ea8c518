"""Builders and paths shared by the tests (imported as ``tests.helpers``)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from api.process import ServerProcess, free_port, serve_command
from rag.config import PROJECT_ROOT, Settings

BUILTIN_CORPUS = PROJECT_ROOT / "corpus"


def shared_corpus_path() -> Path:
    return Settings().shared_corpus


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings on ``data_dir`` with the built-in corpus."""
    return Settings(**{"data_dir": data_dir, "corpus_dir": BUILTIN_CORPUS, **overrides})


def pipeline_over(tmp_path_factory: Any, name: str, files: dict[str, str]) -> Any:
    """A pipeline (real model, Chroma and SQLite, temporary folders) with ``files`` (file name ->
    text) ingested; the caller closes it."""
    from rag.pipeline import Pipeline

    folder: Path = tmp_path_factory.mktemp(f"{name}-docs")
    for file_name, text in files.items():
        (folder / file_name).write_text(text)
    pipeline = Pipeline(make_settings(tmp_path_factory.mktemp(f"{name}-data")))
    report = pipeline.ingest([folder])
    assert report.ok, report.failed
    return pipeline


def make_pdf(pages: list[list[str]], title: str = "Generated document") -> bytes:
    """A small valid PDF: one page of Helvetica text lines per list of lines."""

    def escape(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{5 + 2 * i} 0 R' for i in range(len(pages)))}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({escape(title)}) >>".encode("latin-1"),
    ]
    for i, lines in enumerate(pages):
        content = "\n".join(["BT", "/F1 9 Tf", "11 TL", "40 800 Td", *(f"({escape(line)}) '" for line in lines), "ET"])
        stream = content.encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {6 + 2 * i} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def serve(
    data_dir: Path,
    corpus_dir: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> ServerProcess:
    """`rag serve` in a child process on a free loopback port, ready to answer: one worker
    unless ``env`` says otherwise (tests/api/test_workers.py runs several)."""
    port = free_port()
    variables = {
        **os.environ, "RAG_DATA_DIR": str(data_dir), "RAG_CORPUS_DIR": str(corpus_dir), "RAG_LOG_LEVEL": "warning",
        "RAG_WORKERS": "1", **(env or {}),
    }
    server = ServerProcess(serve_command(port), port, log_path, env=variables, cwd=PROJECT_ROOT, preexec_fn=preexec_fn)
    try:
        server.wait_ready(timeout=240)
    except BaseException:
        server.stop()
        raise
    return server
