"""The PyTorch backend: the sentence-transformers model itself, on CPU or a GPU."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from ..errors import ModelUnavailable
from .base import Backend, configured_threads, set_model_threads
from .model import ModelFolder

log = logging.getLogger(__name__)


def resolve_device(requested: str) -> str:
    """``auto``: a GPU when torch sees one, else the CPU; ``cuda`` must exist."""
    import torch

    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise ModelUnavailable(
            f"RAG_EMBEDDING_DEVICE=cuda, but torch ({torch.__version__}, {build}) sees no CUDA device; "
            "use RAG_EMBEDDING_DEVICE=auto or cpu"
        )
    return requested


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, folder: ModelFolder, device: str):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        self.device = resolve_device(device)
        set_model_threads(configured_threads())  # a count set before torch was imported
        try:
            self.model = SentenceTransformer(folder.location, device=self.device, local_files_only=True)
        except Exception as exc:  # the library raises OSError, ValueError, HF errors...
            raise ModelUnavailable(f"cannot load embedding model {folder.name!r} from {folder.location}: {exc}") from None
        self.transformer: Any = self.model[0].auto_model
        log.info("loaded embedding model %s on %s", folder.location, self.device)

    def token_vectors(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        import torch

        names = self.model.tokenizer.model_input_names
        tensors = {k: torch.from_numpy(v).to(self.device) for k, v in batch.items() if k in names}
        with torch.inference_mode():
            return self.transformer(**tensors).last_hidden_state.float().cpu().numpy()

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """The model's own sentence vectors (for models that do not mean-pool)."""
        vectors = self.model.encode(texts, batch_size=batch_size, convert_to_numpy=True, normalize_embeddings=True)
        return np.asarray(vectors, dtype=np.float32)
