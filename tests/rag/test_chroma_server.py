"""`chroma run` as `rag serve` starts it: ready at its heartbeat, shared by clients, stopped
with nothing left; a server that cannot start or answer is a clear error."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from rag.errors import ChromaUnavailable
from rag.store.chroma_server import ChromaServer, wait_for_chroma
from rag.store.vectors import VectorIndex, split_url


@pytest.mark.slow
def test_two_clients_share_one_server_and_it_stops(tmp_path):
    server = ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log").start()
    try:
        one = VectorIndex(tmp_path / "unused", "chunks-test", server.url)
        two = VectorIndex(tmp_path / "unused", "chunks-test", server.url)
        vectors = np.eye(3, dtype=np.float32)
        one.upsert(["a", "b", "c"], vectors, [{"document_id": d} for d in "abc"])
        assert two.count() == 3
        assert two.query(vectors[1], 1)[0][0] == "b"
        two.delete(["c"])
        one.forget_count()
        assert one.count() == 2 and one.all_ids() == {"a", "b"}
        process = server.process
    finally:
        server.stop()
    assert process is not None and process.poll() is not None
    assert not (tmp_path / "unused").exists()  # the embedded folder is never made for a server


@pytest.mark.slow
def test_a_server_that_cannot_start_is_a_clear_error(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ChromaUnavailable, match="exited with status|did not answer"):
            ChromaServer(tmp_path / "chroma", tmp_path / "chroma.log", port=port).start(timeout=20)
    with pytest.raises(ChromaUnavailable, match="did not answer within 1 s"):
        wait_for_chroma(f"http://127.0.0.1:{port}", timeout=1)


def test_server_urls():
    assert split_url("http://10.0.0.5:8001") == ("10.0.0.5", 8001, False)
    assert split_url("https://chroma.example") == ("chroma.example", 443, True)
    assert split_url("localhost:9000") == ("localhost", 9000, False)
    with pytest.raises(ValueError, match="http://HOST:PORT"):
        split_url("ftp://x")
