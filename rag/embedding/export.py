"""ONNX copies of the embedding model, exported once and kept under the data folder.

    <data_dir>/models/<model>-<hash of weights and exporter>/model.onnx       (fp32)
    <data_dir>/models/<model>-<hash of weights and exporter>/model-int8.onnx  (int8, dynamic quantization)

The folder name changes with the model's weights or this exporter, so a new
model is exported afresh. Each file is written to a temporary name and renamed,
then a manifest holding its SHA-256 is written the same way: a crash mid-export
leaves no file that is taken for a model, and a damaged file (its hash no longer
matching) is exported again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np

from ..errors import ModelUnavailable
from .base import INPUT_NAMES
from .model import ModelFolder

log = logging.getLogger(__name__)

EXPORTER_VERSION = 1  # bump when the export or quantization below changes
OPSET = 17
VARIANTS = {"fp32": "model.onnx", "int8": "model-int8.onnx"}
_SAMPLE = ["A short sentence.", "A longer sentence, so that the sample batch is padded and the mask matters."]
_LOCK = threading.Lock()
_PROJECT = Path(__file__).resolve().parents[2]  # the folder holding the rag package, for the child process


class ExportCache:
    def __init__(self, root: Path, folder: ModelFolder):
        self.folder = folder
        key = hashlib.sha256(f"{folder.weights_sha256}|exporter {EXPORTER_VERSION}|opset {OPSET}".encode()).hexdigest()
        self.directory = Path(root) / f"{folder.slug}-{key[:16]}"

    def path(self, variant: str) -> Path:
        """The model file for ``variant`` (fp32 or int8), exported first when absent or damaged."""
        with _LOCK:
            return self._ensure(variant)

    def _ensure(self, variant: str) -> Path:
        target = self.directory / VARIANTS[variant]
        if not self.is_valid(target):
            self.directory.mkdir(parents=True, exist_ok=True)
            if variant == "int8":
                self._quantize(self._ensure("fp32"), target)
            else:
                self._export(target)
        return target

    @staticmethod
    def is_valid(target: Path) -> bool:
        manifest = _manifest_path(target)
        try:
            expected = json.loads(manifest.read_text())["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if target.is_file() and _sha256(target) == expected:
            return True
        log.warning("the exported model %s is missing or damaged; exporting it again", target)
        return False

    # ------------------------------------------------------------ building

    def _export(self, target: Path) -> None:
        """Export in a child process: torch is needed only for this, and a process that
        loaded it would keep its memory for as long as it serves or ingests."""
        log.info("exporting %s to ONNX at %s", self.folder.name, target)

        def write(path: Path) -> None:
            command = [sys.executable, "-m", "rag.embedding.export", self.folder.location, str(path)]
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(_PROJECT), os.environ.get("PYTHONPATH")])))
            done = subprocess.run(command, capture_output=True, text=True, env=env)
            if done.returncode != 0:
                lines = done.stderr.strip().splitlines()
                raise ModelUnavailable(lines[-1] if lines else f"exporting the embedding model failed (exit {done.returncode})")

        _write_atomically(target, write)

    def _quantize(self, source: Path, target: Path) -> None:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        log.info("quantizing %s to int8 at %s", source, target)

        def write(path: Path) -> None:
            logging.disable(logging.WARNING)  # the quantizer logs every tensor it skips to the root logger
            try:
                # per-channel weight scales: about twice as close to the fp32 vectors as one scale per matrix
                quantize_dynamic(str(source), str(path), weight_type=QuantType.QInt8, per_channel=True)
            finally:
                logging.disable(logging.NOTSET)

        _write_atomically(target, write)


def export_model(folder: ModelFolder, path: Path) -> None:
    """Write ``folder``'s transformer to ``path`` as ONNX (token vectors out), checked against torch."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    tokenizer = folder.tokenizer()
    names = [n for n in INPUT_NAMES if n in tokenizer.model_input_names]
    try:
        transformer = AutoModel.from_pretrained(folder.location, local_files_only=True).eval()
    except Exception as exc:
        raise ModelUnavailable(f"cannot load {folder.name!r} from {folder.location} to export it: {exc}") from None
    wrapper = _token_vectors_module()(transformer, names).eval()
    sample = tokenizer(_SAMPLE, padding=True, return_tensors="pt")
    args = tuple(sample[n] for n in names)
    axes = {n: {0: "texts", 1: "tokens"} for n in [*names, "token_vectors"]}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            wrapper, args, str(path), input_names=names, output_names=["token_vectors"],
            dynamic_axes=axes, opset_version=OPSET, dynamo=False,
        )
    with torch.inference_mode():
        expected = wrapper(*args).numpy()
    _check_against(path, {n: sample[n].numpy() for n in names}, expected)


def _token_vectors_module():
    import torch

    class TokenVectors(torch.nn.Module):
        """The transformer with positional inputs and its token vectors as the only output."""

        def __init__(self, transformer, names: list[str]):
            super().__init__()
            self.transformer = transformer
            self.names = names

        def forward(self, *inputs):
            return self.transformer(**dict(zip(self.names, inputs))).last_hidden_state

    return TokenVectors


def _check_against(path: Path, inputs: dict[str, np.ndarray], expected: np.ndarray) -> None:
    """The exported graph must give the transformer's own token vectors."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {k: v.astype(np.int64) for k, v in inputs.items()})[0]
    mask = inputs["attention_mask"].astype(bool)
    error = float(np.abs(got[mask] - expected[mask]).max())
    if error > 1e-4:
        raise ModelUnavailable(f"the ONNX export of the embedding model differs from it by {error:.2g}; use RAG_EMBEDDING_BACKEND=torch")


def _write_atomically(target: Path, write) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    temporary_path = Path(temporary)
    try:
        write(temporary_path)
        _fsync(temporary_path)
        os.replace(temporary_path, target)
        manifest = json.dumps({"file": target.name, "sha256": _sha256(target), "exporter": EXPORTER_VERSION})
        manifest_temporary = temporary_path.with_suffix(".manifest")
        manifest_temporary.write_text(manifest)
        _fsync(manifest_temporary)
        os.replace(manifest_temporary, _manifest_path(target))
    finally:
        temporary_path.unlink(missing_ok=True)
        temporary_path.with_suffix(".manifest").unlink(missing_ok=True)


def _manifest_path(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _main(argv: list[str]) -> int:
    """``python -m rag.embedding.export MODEL PATH``: the child process of ``ExportCache``."""
    try:
        export_model(ModelFolder(argv[0]), Path(argv[1]))
    except ModelUnavailable as exc:
        print(exc, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
