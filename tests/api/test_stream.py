"""POST /ask as server-sent events."""

from __future__ import annotations

import json

import pytest

QUESTION = "What did Musk say China is interested in?"


def parse_events(raw: str) -> list[tuple[str, dict]]:
    events = []
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        if not block.strip() or block.startswith(":"):
            continue
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value[1:] if value.startswith(" ") else value)
        events.append((fields["event"][0], json.loads("\n".join(fields["data"]))))
    return events


def stream(client, **kwargs) -> list[tuple[str, dict]]:
    with client.stream("POST", "/ask", **kwargs) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        return parse_events(response.read().decode("utf-8"))


def check_events(client, check, events: list[tuple[str, dict]]) -> dict:
    kinds = [kind for kind, _ in events]
    assert kinds[0] == "passages" and kinds[-1] == "done" and kinds[-2] == "citations", kinds
    assert set(kinds[1:-2]) <= {"delta"}, kinds
    done = events[-1][1]
    check.answer(client, done)
    check.passages(client, events[0][1]["passages"])
    assert events[-2][1]["citations"] == done["citations"]
    deltas = [data for kind, data in events if kind == "delta"]
    assert [d["index"] for d in deltas] == list(range(len(deltas)))
    if not done["abstained"]:
        assert deltas
    position = 0
    for delta in deltas:  # the answer is the deltas, in order
        found = done["answer"].find(delta["text"].strip(), position)
        assert found >= 0, (delta, done["answer"])
        position = found + len(delta["text"].strip())
    return done


def test_stream_flag(client, check):
    done = check_events(client, check, stream(client, json={"question": QUESTION, "stream": True}))
    assert not done["abstained"] and done["citations"]


def test_stream_accept_header(client, check):
    events = stream(client, json={"question": QUESTION, "top_k": 4}, headers={"accept": "text/event-stream"})
    done = check_events(client, check, events)
    assert len(done["passages"]) <= 4


def test_json_when_not_streaming(client, check):
    response = client.post("/ask", json={"question": QUESTION}, headers={"accept": "application/json"})
    assert response.headers["content-type"].startswith("application/json")
    check.answer(client, response.json())


@pytest.mark.parametrize("body, status", [({"question": "", "stream": True}, 400), ({"question": "x" * 5000, "stream": True}, 400), ({"stream": True}, 422)])
def test_stream_errors_are_json(client, expect_error, body, status):
    expect_error(client.post("/ask", json=body, headers={"accept": "text/event-stream"}), status)


def test_direct_answer_in_the_response_the_done_event_and_the_schema(client, check):
    question = "How many days does the WAIC event last?"
    answer = client.post("/ask", json={"question": question}).json()
    check.answer(client, answer)
    direct = answer["direct_answer"]
    assert direct is not None and direct["text"] == "three", answer
    # the citation is one of the answer's, exactly as listed, and the value stands in its quote
    assert direct["citation"] == answer["citations"][0]
    assert direct["text"] in direct["citation"]["quote"]
    text = check.text(client, direct["citation"]["document_id"])
    assert text[direct["citation"]["start"]:direct["citation"]["end"]] == direct["citation"]["quote"]
    done = check_events(client, check, stream(client, json={"question": question, "stream": True}))
    assert done["direct_answer"] == direct
    # a question that asks for no single value gets null
    assert client.post("/ask", json={"question": QUESTION}).json()["direct_answer"] is None
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    field = schema["AskResponse"]["properties"]["direct_answer"]
    assert {"$ref": "#/components/schemas/DirectAnswerOut"} in field["anyOf"] and {"type": "null"} in field["anyOf"]
    assert set(schema["DirectAnswerOut"]["required"]) == {"text", "citation"}
    assert "#/components/schemas/CitationOut" in json.dumps(schema["DirectAnswerOut"]["properties"]["citation"])
