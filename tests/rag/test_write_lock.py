"""The write lock excludes other processes, is re-entrant within a thread, and is
released by the kernel when its holder is killed."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

from rag.store.write_lock import WriteLock

HOLD = """
import sys, time
from rag.store.write_lock import WriteLock
lock = WriteLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(path, seconds: float) -> subprocess.Popen:
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def test_another_process_waits_for_the_holder_and_a_killed_holder_frees_it(tmp_path):
    path = tmp_path / "documents.sqlite3.lock"
    lock = WriteLock(path)
    child = _holder(path, 1.0)
    started = time.monotonic()
    with lock:
        waited = time.monotonic() - started
    child.wait()
    assert waited > 0.5  # it waited for the child to exit

    child = _holder(path, 60)
    child.send_signal(signal.SIGKILL)
    child.wait()
    started = time.monotonic()
    with lock:
        assert time.monotonic() - started < 1


def test_reentrant_in_a_thread_exclusive_between_threads(tmp_path):
    lock = WriteLock(tmp_path / "lock")
    order: list[str] = []
    with lock, lock:  # a write that calls another write
        assert lock.held()
        other = threading.Thread(target=lambda: (lock.acquire(), order.append("other"), lock.release()))
        other.start()
        time.sleep(0.2)
        order.append("first")
    other.join(5)
    assert order == ["first", "other"] and not lock.held()
    lock.close()
