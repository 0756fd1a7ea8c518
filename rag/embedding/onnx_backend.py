"""The ONNX Runtime backends: the model exported to ONNX (fp32), or that export
with its weights quantized to int8. CPU only.

A session's thread count is fixed when it is made, so there is one session per
count asked for (``set_model_threads``): one thread per question in the server,
every core for ingest."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from ..errors import ModelUnavailable
from .base import Backend, model_threads
from .export import ExportCache
from .model import ModelFolder

log = logging.getLogger(__name__)


class OnnxBackend(Backend):
    def __init__(self, folder: ModelFolder, cache_root: Path, quantized: bool, device: str):
        if device == "cuda":
            raise ModelUnavailable(
                "the onnx backends run on the CPU; use RAG_EMBEDDING_BACKEND=torch with RAG_EMBEDDING_DEVICE=cuda"
            )
        import onnxruntime  # noqa: F401 - fail here, clearly, when it is missing

        self.name = "onnx-int8" if quantized else "onnx"
        self.path = ExportCache(cache_root, folder).path("int8" if quantized else "fp32")
        self._sessions: dict[int, object] = {}
        self._lock = threading.Lock()
        self._session(model_threads())  # load now: a broken file fails at start, not on a question
        log.info("loaded embedding model %s (%s) from %s", folder.name, self.name, self.path)

    def _session(self, threads: int):
        session = self._sessions.get(threads)
        if session is None:
            import onnxruntime as ort

            with self._lock:
                session = self._sessions.get(threads)
                if session is None:
                    options = ort.SessionOptions()
                    options.intra_op_num_threads = threads
                    options.inter_op_num_threads = 1
                    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
                    options.log_severity_level = 3
                    try:
                        session = ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
                    except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf...
                        raise ModelUnavailable(f"cannot open the ONNX model {self.path}: {exc}") from None
                    self._sessions[threads] = session
        return session

    def token_vectors(self, batch: dict[str, np.ndarray]) -> np.ndarray:
        """Token vectors of a padded batch, run ``ROWS_PER_RUN`` texts at a time, each run cut to
        its own longest text: ONNX Runtime holds a run's attention buffers all at once (rows x heads
        x length^2), so a whole batch of long chunks would cost over a gigabyte at its peak, for no
        gain in speed, and padding costs as much work as real tokens."""
        session = self._session(model_threads())
        inputs = {i.name for i in session.get_inputs()}
        feed = {k: v.astype(np.int64, copy=False) for k, v in batch.items() if k in inputs}
        mask = batch["attention_mask"]
        rows, width = mask.shape
        parts = []
        for start in range(0, rows, ROWS_PER_RUN):
            own = int(mask[start:start + ROWS_PER_RUN].sum(axis=1).max(initial=1))  # padding sits on the right
            out = session.run(None, {k: v[start:start + ROWS_PER_RUN, :own] for k, v in feed.items()})[0]
            if own < width:
                out = np.pad(out, ((0, 0), (0, width - own), (0, 0)))
            parts.append(out)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)


ROWS_PER_RUN = 16
