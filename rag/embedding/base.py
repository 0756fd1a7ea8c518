"""What every embedding backend does: turn a tokenized batch into token vectors.

Tokenizing, pooling and normalizing happen once, in numpy, for every backend
(see ``rag.embedding.embedder``), so backends differ only in the forward pass.
"""

from __future__ import annotations

import os
import sys
from abc import ABC, abstractmethod

import numpy as np

BACKENDS = ("torch", "onnx", "onnx-int8")
DEVICES = ("auto", "cpu", "cuda")
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")

_threads = 0  # threads one model call may use; 0: the backend's own default (every core)


def set_model_threads(count: int) -> None:
    """How many threads one model call may use (process-wide, every backend)."""
    global _threads
    if count <= 0:
        return
    _threads = count
    if "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != count:
            torch.set_num_threads(count)


def configured_threads() -> int:
    """The count given to ``set_model_threads`` (0: none given)."""
    return _threads


def model_threads() -> int:
    """Threads for one model call: the count given, else every core."""
    return _threads or os.cpu_count() or 1


class Backend(ABC):
    """One loaded model that maps token ids to token vectors."""

    name: str
    device: str = "cpu"

    @abstractmethod
    def token_vectors(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """(texts, tokens, width) float32 for a padded batch holding INPUT_NAMES
        (int64 arrays of the same shape; the mask marks real tokens)."""
