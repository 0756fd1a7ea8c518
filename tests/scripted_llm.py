"""A scripted OpenAI-compatible chat server: what a real model does only sometimes, on demand.

It reads the numbered evidence list from the prompt and answers according to
``ScriptedModel.scenario``:

    faithful           the first sentence of evidence [1], cited [1]
    fabricated_amount  that sentence, then one stating an amount the evidence does not hold
    fabricated_date    a sentence with a year and month the evidence does not hold
    out_of_range       a faithful sentence cited with a marker past the end of the list
    no_markers         faithful text without any marker
    declines           the refusal the prompt asks for
    empty              an empty reply
    http_500           an HTTP 500 error
    hang               nothing until long past any timeout
    hang_after_one     the faithful sentence, then nothing

Replies stream word by word when the client asks for a stream, as real servers do.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

HANG_S = 30.0
FABRICATED_AMOUNT = "China will spend 250 billion yuan on artificial intelligence research."
FABRICATED_DATE = "Musk visited Beijing in March 2019 to discuss artificial intelligence."


def evidence(prompt: str) -> dict[int, str]:
    """Item number -> item text, read back from the prompt's evidence list."""
    return {int(n): text for n, text in re.findall(r"^\[(\d+)\] .*\n(.+)$", prompt, re.MULTILINE)}


def first_sentence(text: str) -> str:
    match = re.match(r"(.+?[.!?][\"”]?)(\s|$)", text)
    return (match.group(1) if match else text).strip()


class ScriptedModel:
    def __init__(self) -> None:
        self.scenario = "faithful"
        self.requests: list[dict[str, Any]] = []
        self.app = self._app()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}/v1"
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=1))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._sock]}, daemon=True)

    def reply(self, prompt: str) -> str:
        items = evidence(prompt)
        faithful = first_sentence(items[1]) if items else ""
        return {
            "faithful": f"{faithful} [1]",
            "fabricated_amount": f"{faithful} [1] {FABRICATED_AMOUNT} [1]",
            "fabricated_date": f"{FABRICATED_DATE} [1]",
            "out_of_range": f"{faithful} [{len(items) + 1}]",
            "no_markers": faithful,
            "declines": "The evidence does not answer this question.",
            "empty": "",
            "hang_after_one": f"{faithful} [1] ",
        }.get(self.scenario, "")

    def _app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v1/chat/completions")
        async def complete(request: Request) -> Any:
            body = await request.json()
            self.requests.append(body)
            scenario = self.scenario
            if scenario == "http_500":
                return JSONResponse({"error": {"message": "scripted failure", "type": "server_error"}}, status_code=500)
            if scenario == "hang":
                await asyncio.sleep(HANG_S)
            text = self.reply(body["messages"][-1]["content"])
            if body.get("stream"):
                return StreamingResponse(self._chunks(text, body["model"], scenario), media_type="text/event-stream")
            return {
                "id": "scripted", "object": "chat.completion", "created": int(time.time()), "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            }

        return app

    async def _chunks(self, text: str, model: str, scenario: str) -> AsyncIterator[bytes]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            payload = {
                "id": "scripted", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(payload)}\n\n".encode()

        yield chunk({"role": "assistant", "content": ""})
        for word in re.findall(r"\S+\s*", text):
            yield chunk({"content": word})
        if scenario == "hang_after_one":
            await asyncio.sleep(HANG_S)
        yield chunk({}, "stop")
        yield b"data: [DONE]\n\n"

    def start(self) -> ScriptedModel:
        self._thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(f"{self.url}/chat/completions", json={"model": "probe", "messages": [{"role": "user", "content": ""}]})
                self.requests.clear()
                return self
            except httpx.TransportError:
                time.sleep(0.05)
        raise TimeoutError("the scripted model server did not start")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._sock.close()
