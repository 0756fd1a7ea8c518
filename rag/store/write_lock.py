"""One writer at a time across every process that opens a data folder.

A lock file beside the document database, held with ``fcntl.flock`` for the
length of a write; inside one process a re-entrant thread lock comes first, so
a thread that holds it may take it again (a write that calls other writes).
The kernel releases the file lock when its holder exits, also when it is
killed: a crashed writer never leaves the folder locked.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from types import TracebackType

__all__ = ["WriteLock"]


class WriteLock:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._threads = threading.RLock()
        self._depth = 0  # how many times the holding thread has taken it (changed only by that thread)
        self._fd: int | None = None

    def acquire(self) -> None:
        self._threads.acquire()
        if self._depth == 0:
            try:
                if self._fd is None:
                    self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            except BaseException:
                self._threads.release()
                raise
        self._depth += 1

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._threads.release()

    def held(self) -> bool:
        """Whether the calling thread holds it."""
        if not self._threads.acquire(blocking=False):
            return False
        try:
            return self._depth > 0
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None and self._depth == 0:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> WriteLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.release()
