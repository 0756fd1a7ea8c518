"""The language model client: messages in, a stream of text out, behind LangChain's chat-model interface.

``ChatOpenAI`` talks to any OpenAI-compatible server (llama.cpp's llama-server,
vLLM, Ollama's ``/v1``, a hosted API); ``ChatOllama`` to Ollama's native API.
Both come with the optional ``llm`` extra and are imported only when a model
is first used, so the service runs without them. Every failure becomes a
:class:`ModelFailure` with a reason code; nothing here raises anything else.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from typing import Any

from ..config import LlmSettings

log = logging.getLogger(__name__)

# Reason codes of a failure, in the order they are recognised.
TIMEOUT = "model_timeout"
UNREACHABLE = "model_unreachable"
ERROR = "model_error"
NOT_INSTALLED = "model_not_installed"


class ModelFailure(Exception):
    """The model gave no usable reply: ``reason`` is one of the codes above, ``detail`` says more."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def chat_model(settings: LlmSettings) -> Any:
    """The LangChain chat model the settings describe (deterministic: temperature 0, no retries)."""
    timeout = settings.timeout_s
    if settings.provider == "ollama":
        from langchain_ollama import ChatOllama

        return ChatOllama(
            base_url=settings.base_url, model=settings.model, temperature=0,
            num_predict=settings.max_tokens, client_kwargs={"timeout": timeout},
        )
    from langchain_openai import ChatOpenAI

    key = settings.api_key.get_secret_value() if settings.api_key else "unused"  # local servers need none
    return ChatOpenAI(
        base_url=settings.base_url, model=settings.model, api_key=key, temperature=0,  # type: ignore[arg-type]
        max_tokens=settings.max_tokens, timeout=timeout, max_retries=0,  # type: ignore[call-arg]
    )


def classify(exc: BaseException) -> str:
    """The reason code of an exception raised by a model client (openai, httpx, ollama), by its class names."""
    names = [cls.__name__ for e in _chain(exc) for cls in type(e).__mro__]
    if any("Timeout" in name for name in names):
        return TIMEOUT
    if any(name in ("APIConnectionError", "ConnectError", "ConnectionError", "NetworkError", "RemoteProtocolError") for name in names):
        return UNREACHABLE
    return ERROR


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class ModelClient:
    """Streams a reply, enforcing one deadline for the whole reply (``settings.timeout_s``)."""

    def __init__(self, settings: LlmSettings, model: Any = None):
        self.settings = settings
        self._model = model

    @property
    def name(self) -> str:
        return f"{self.settings.provider}:{self.settings.model}@{self.settings.base_url}"

    def _chat_model(self) -> Any:
        if self._model is None:
            try:
                self._model = chat_model(self.settings)
            except ImportError as exc:
                raise ModelFailure(NOT_INSTALLED, f"{exc.name or exc} is missing: install policy-rag[llm]") from exc
        return self._model

    def stream(self, messages: Sequence[tuple[str, str]], grammar: str | None = None) -> Iterator[str]:
        """The reply's text as it arrives. Raises ModelFailure on any failure or past the deadline.

        ``grammar`` (GBNF) is sent when the settings ask for it, to OpenAI-compatible servers only."""
        model = self._chat_model()
        extra = {"extra_body": {"grammar": grammar}} if grammar and self.settings.grammar and self.settings.provider == "openai" else {}
        deadline = time.monotonic() + self.settings.timeout_s
        chunks = None
        try:
            chunks = model.stream(list(messages), **extra)
            for chunk in chunks:
                text = chunk.content if isinstance(chunk.content, str) else "".join(
                    part.get("text", "") if isinstance(part, dict) else str(part) for part in chunk.content
                )
                if text:
                    yield text
                if time.monotonic() > deadline:
                    raise ModelFailure(TIMEOUT, f"no complete reply within {self.settings.timeout_s:g} s")
        except ModelFailure:
            raise
        except Exception as exc:  # any client error is a failed model, never a failed request
            reason = classify(exc)
            log.warning("language model %s failed (%s): %s", self.name, reason, exc)
            raise ModelFailure(reason, _describe(exc)) from exc
        finally:
            if chunks is not None:
                chunks.close()


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
