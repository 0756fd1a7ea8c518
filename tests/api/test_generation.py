"""POST /ask with generated answers, over real HTTP: the app under uvicorn with the real pipeline on
the built-in corpus, the model a scripted OpenAI-compatible server (tests/scripted_llm.py)."""

from __future__ import annotations

import json

import pytest

from tests.scripted_llm import FABRICATED_AMOUNT

QUESTION = "What did Elon Musk say about China's attitude towards international rules for AI?"


@pytest.fixture(scope="module")
def generating_server(start_server, settings_for, scripted_model, tmp_path_factory):
    pytest.importorskip("langchain_openai", reason="the llm extra (pip install -e '.[llm]') is not installed")
    settings = settings_for(tmp_path_factory.mktemp("generation-data"), llm={"base_url": scripted_model.url, "timeout_s": 2.0})
    return start_server(settings)


def ask(server, scripted_model, scenario: str, **body):
    scripted_model.scenario = scenario
    with server.client() as client:
        return client.post("/ask", json={"question": QUESTION, **body})


def test_generated_answer_over_http(generating_server, scripted_model, check):
    response = ask(generating_server, scripted_model, "fabricated_amount", mode="generative")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mode"] == "generative" and body["fallback_reason"] is None
    assert "250" not in body["answer"]
    assert body["dropped"] == [{"text": FABRICATED_AMOUNT, "reason": "unsupported_number", "detail": body["dropped"][0]["detail"]}]
    assert {"model_ms", "model_first_token_ms", "total_ms"} <= set(body["timings_ms"])
    with generating_server.client() as client:
        check.answer(client, body)


@pytest.mark.parametrize("scenario, reason", [("http_500", "model_error"), ("hang", "model_timeout"), ("empty", "empty_reply")])
def test_a_failing_model_is_never_a_server_error(generating_server, scripted_model, check, scenario, reason):
    response = ask(generating_server, scripted_model, scenario, mode="generative")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["mode"], body["fallback_reason"]) == ("extractive", reason)
    assert body["citations"] and not body["abstained"]
    with generating_server.client() as client:
        check.answer(client, body)


def test_streaming_a_generated_answer(generating_server, scripted_model):
    scripted_model.scenario = "fabricated_amount"
    with generating_server.client() as client:
        with client.stream("POST", "/ask", json={"question": QUESTION, "mode": "generative", "stream": True}) as response:
            assert response.status_code == 200
            text = "".join(response.iter_text())
    events = [(block.split("\n")[0][len("event: "):], json.loads(block.split("\n")[1][len("data: "):]))
              for block in text.strip().split("\n\n")]
    assert [kind for kind, _ in events] == ["passages", "delta", "citations", "done"]
    done = events[-1][1]
    assert done["mode"] == "generative" and events[1][1]["text"] == done["answer"]
    assert [d["reason"] for d in done["dropped"]] == ["unsupported_number"]


def test_modes_on_a_server_without_a_model(client, expect_error):
    auto = client.post("/ask", json={"question": QUESTION}).json()
    assert (auto["mode"], auto["fallback_reason"], auto["dropped"]) == ("extractive", None, [])
    generative = client.post("/ask", json={"question": QUESTION, "mode": "generative"}).json()
    assert (generative["mode"], generative["fallback_reason"]) == ("extractive", "no_model_configured")
    assert generative["answer"] == auto["answer"]
    expect_error(client.post("/ask", json={"question": QUESTION, "mode": "poetic"}), 422, "validation_error")
