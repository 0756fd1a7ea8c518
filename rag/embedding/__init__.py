"""Text to vectors: one embedding model per process, behind a chosen backend."""

from .base import BACKENDS, DEVICES, set_model_threads
from .embedder import Embedder
from .model import resolve_model

__all__ = ["BACKENDS", "DEVICES", "Embedder", "resolve_model", "set_model_threads"]
