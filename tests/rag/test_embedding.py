"""The embedding backends with the real model: torch and onnx give the same
vectors (chunks and sentences), int8 close ones under its own index; the export
cache is reused, rebuilt for another model, and rebuilt when damaged."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from rag.chunking import chunk_document, embedding_text
from rag.config import ChunkingSettings, Settings
from rag.embedding import Embedder
from rag.embedding.export import ExportCache
from rag.embedding.model import ModelFolder
from rag.errors import IndexMismatch, ModelUnavailable
from rag.loading import discover, load_file
from rag.pipeline import Pipeline
from tests.helpers import BUILTIN_CORPUS, make_settings

MODELS = Settings().model_cache()


@pytest.fixture(scope="module")
def chunks_and_spans() -> tuple[list[str], list[list[tuple[int, int]]]]:
    """Real chunks of the built-in corpus, with the spans of their answer sentences."""
    texts, spans = [], []
    for path, root in discover([BUILTIN_CORPUS]):
        document = load_file(path, root)
        for chunk in chunk_document(document, ChunkingSettings(max_chars=400)):
            text = embedding_text(document.title, chunk)
            shift = len(text) - len(chunk.text) - chunk.start
            texts.append(text)
            spans.append([(s.start + shift, s.end + shift) for s in chunk.sentences if s.end - s.start >= 40])
    return texts, spans


@pytest.fixture(scope="module")
def vectors(chunks_and_spans):
    texts, spans = chunks_and_spans
    out = {}
    for backend in ("torch", "onnx", "onnx-int8"):
        embedder = Embedder(backend=backend, cache_root=MODELS)
        chunk_vectors, sentence_vectors = embedder.embed_with_spans(texts, spans)
        out[backend] = (chunk_vectors, np.stack([v for row in sentence_vectors for v in row]))
    return out


def test_onnx_gives_the_torch_vectors_for_chunks_and_sentences(vectors):
    torch_chunks, torch_sentences = vectors["torch"]
    onnx_chunks, onnx_sentences = vectors["onnx"]
    assert len(torch_chunks) > 10 and len(torch_sentences) > 25
    assert np.min(np.sum(torch_chunks * onnx_chunks, axis=1)) > 0.9999
    assert np.min(np.sum(torch_sentences * onnx_sentences, axis=1)) > 0.9999
    # close enough to share one index (stored sentence vectors are float16: 1e-3 apart anyway)
    assert np.abs(torch_chunks - onnx_chunks).max() < 1e-5
    assert np.abs(torch_sentences - onnx_sentences).max() < 1e-5


def test_int8_vectors_are_close_but_not_the_same(vectors):
    torch_chunks, torch_sentences = vectors["torch"]
    int8_chunks, int8_sentences = vectors["onnx-int8"]
    cosines = np.sum(torch_chunks * int8_chunks, axis=1)
    assert cosines.min() > 0.95 and cosines.max() < 0.99999
    assert np.sum(torch_sentences * int8_sentences, axis=1).mean() > 0.95


def test_chunk_vectors_are_sentence_transformers_own(chunks_and_spans, vectors):
    from sentence_transformers import SentenceTransformer

    texts, _ = chunks_and_spans
    model = SentenceTransformer(ModelFolder("all-MiniLM-L6-v2").location, device="cpu")
    expected = model.encode(texts, normalize_embeddings=True)
    for backend in ("torch", "onnx"):
        assert np.abs(vectors[backend][0] - expected).max() < 1e-5, backend


def test_a_query_is_embedded_as_a_document_and_its_vector_reused():
    embedder = Embedder(backend="onnx", cache_root=MODELS, query_cache_size=2)
    first = embedder.embed_query("What must deployers of a deep fake disclose?")
    assert np.abs(first - embedder.embed_documents(["What must deployers of a deep fake disclose?"])[0]).max() < 1e-6
    again = embedder.embed_query("  what must  deployers of a DEEP fake disclose?\n")  # the same tokens
    assert again is first and embedder.queries.hits == 1
    assert not first.flags.writeable
    embedder.embed_query("second question")
    embedder.embed_query("third question")
    assert len(embedder.queries) == 2  # the least recently used one left
    assert embedder.embed_query("What must deployers of a deep fake disclose?") is not first
    uncached = Embedder(backend="onnx", cache_root=MODELS, query_cache_size=0)
    assert uncached.embed_query("a") is not uncached.embed_query("a")


def _exports(cache: ExportCache) -> list[str]:
    return sorted(p.name for p in cache.directory.iterdir())


def test_the_export_is_reused_and_rebuilt_when_damaged(tmp_path, caplog):
    cache = ExportCache(tmp_path, ModelFolder("all-MiniLM-L6-v2"))
    model = cache.path("fp32")
    assert _exports(cache) == ["model.onnx", "model.onnx.json"]  # no temporary file left behind
    made = model.stat().st_mtime_ns
    assert cache.path("fp32") == model and model.stat().st_mtime_ns == made  # reused

    with model.open("r+b") as handle:  # damage it in the middle, as a bad disk or a partial copy would
        handle.seek(model.stat().st_size // 2)
        handle.write(b"\0" * 4096)
    assert cache.path("fp32") == model and model.stat().st_mtime_ns != made
    assert "damaged" in caplog.text
    embedder = Embedder(backend="onnx", cache_root=tmp_path)
    assert embedder.embed_documents(["rebuilt"]).shape == (1, 384)

    model.write_bytes(b"not a model")  # truncated and rewritten: rebuilt the same way
    cache.path("int8")
    assert _exports(cache) == ["model-int8.onnx", "model-int8.onnx.json", "model.onnx", "model.onnx.json"]
    assert json.loads((cache.directory / "model.onnx.json").read_text())["sha256"]


def _model_copy(folder: Path, *but: str) -> Path:
    """The packaged model in ``folder``, linked file by file, but for the files named in ``but``."""
    folder.mkdir()
    for item in ModelFolder("all-MiniLM-L6-v2").path.iterdir():
        if item.name not in but:
            os.symlink(item, folder / item.name)
    return folder


def test_another_model_gets_its_own_export(tmp_path):
    packaged = ModelFolder("all-MiniLM-L6-v2").path
    copy = _model_copy(tmp_path / "my-model", "config.json")
    config = json.loads((packaged / "config.json").read_text())
    config["layer_norm_eps"] = 1e-11  # changes what the model computes, so a new export is needed
    (copy / "config.json").write_text(json.dumps(config))
    assert ExportCache(tmp_path, ModelFolder(str(copy))).directory != ExportCache(tmp_path, ModelFolder("all-MiniLM-L6-v2")).directory


def test_index_name_records_the_precision():
    names = {b: Settings(embedding_backend=b).index_name() for b in ("torch", "onnx", "onnx-int8")}
    assert names["torch"] == names["onnx"]  # the same vectors (see above)
    assert names["onnx-int8"] != names["onnx"] and "-int8-" in names["onnx-int8"]


def test_int8_vectors_never_join_an_fp32_index(tmp_path):
    folder = tmp_path / "data"
    fp32 = Pipeline(make_settings(folder, embedding_backend="onnx"))
    fp32.ingest([BUILTIN_CORPUS])
    fp32.close()
    Pipeline(make_settings(folder, embedding_backend="torch")).close()  # same vectors: same index
    with pytest.raises(IndexMismatch, match="rag reindex"):
        Pipeline(make_settings(folder, embedding_backend="onnx-int8"))
    int8 = Pipeline(make_settings(folder, embedding_backend="onnx-int8"), allow_index_mismatch=True)
    report = int8.reindex()
    assert report.ok and report.chunks_embedded > 0
    answer = int8.ask("What did China propose at the World AI Conference?")
    assert answer.citations and all(c.quote == int8.get_text(c.document_id)[c.start:c.end] for c in answer.citations)


def test_devices():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU: the missing-GPU error cannot be seen")
    with pytest.raises(ModelUnavailable, match="sees no CUDA device"):
        Embedder(backend="torch", device="cuda").load()
    with pytest.raises(ModelUnavailable, match="run on the CPU"):
        Embedder(backend="onnx", device="cuda", cache_root=MODELS).load()
    assert Embedder(backend="torch", device="auto").backend.device == "cpu"
    with pytest.raises(ValueError):
        Settings(embedding_device="gpu")


def test_onnx_sessions_follow_the_thread_setting(monkeypatch):
    import torch

    import rag.embedding.base as base

    monkeypatch.setattr(torch, "set_num_threads", lambda count: None)  # leave the other tests' torch alone
    embedder = Embedder(backend="onnx", cache_root=MODELS)
    backend = embedder.backend
    monkeypatch.setattr(base, "_threads", 0)  # restored after the test
    monkeypatch.setattr(base.os, "cpu_count", lambda: 2)
    assert backend._session(base.model_threads()).get_session_options().intra_op_num_threads == 2  # ingest: every core
    base.set_model_threads(1)  # what `rag serve`, `rag ask` and `rag search` do
    one = backend._session(base.model_threads())
    assert one.get_session_options().intra_op_num_threads == 1
    embedder.embed_documents(["a question"])
    assert backend._sessions[1] is one


def test_a_model_that_cannot_be_exported_says_why(tmp_path):
    broken = _model_copy(tmp_path / "broken-model", "model.safetensors")
    (broken / "model.safetensors").write_bytes(b"not weights")
    cache = ExportCache(tmp_path / "models", ModelFolder(str(broken)))
    with pytest.raises(ModelUnavailable, match="cannot load"):
        cache.path("fp32")
    assert [p.name for p in cache.directory.iterdir()] == []  # nothing half-written is taken for a model
