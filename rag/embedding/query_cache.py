"""Recently asked questions' vectors, so a repeated question skips the model."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np


class QueryCache:
    """A least-recently-used map from normalized query text to its vector.

    ``normalize`` must map two texts to one key only when the model gives them
    the same vector (for example: collapsing whitespace, which the tokenizer
    ignores). Vectors are handed out read-only, so no caller can alter a cached one."""

    def __init__(self, size: int, normalize: Callable[[str], str]):
        self.size = size
        self._normalize = normalize
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, text: str, compute: Callable[[str], np.ndarray]) -> np.ndarray:
        if self.size <= 0:
            return compute(text)
        key = self._normalize(text)
        with self._lock:
            vector = self._vectors.get(key)
            if vector is not None:
                self._vectors.move_to_end(key)
                self.hits += 1
                return vector
            self.misses += 1
        vector = compute(text)
        vector.setflags(write=False)
        with self._lock:
            self._vectors[key] = vector
            self._vectors.move_to_end(key)
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self._vectors)
