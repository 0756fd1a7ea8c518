"""The prompt: the question and a numbered evidence list in, plain prose with [n] markers out.

Plain text with markers is the wire format: small local models break JSON,
and a marker per sentence is all the verifier needs. Servers that accept a
grammar can be held to that form (:func:`grammar`, setting ``llm_grammar``). ``PROMPT_VERSION`` is
recorded with every evaluation run; change it whenever the wording changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..citations import display_quote
from ..types import Citation

PROMPT_VERSION = "1"

# The reply the model is asked to give when the evidence does not answer the question.
DECLINE = "The evidence does not answer this question."

SYSTEM = f"""You answer questions about AI policy documents using only the numbered evidence you are given.
Write a short answer in plain prose: one to four sentences, no lists, no headings.
End every sentence with the number of the evidence it comes from in square brackets, for example [1] or [2][3].
State only what the evidence says. Copy every number, amount, date and article or section number exactly as the evidence writes it.
If the evidence does not answer the question, reply only: {DECLINE}"""


def grammar(items: int) -> str:
    """A GBNF grammar for servers that take one (llama.cpp's llama-server, llama-cpp-python): one to four
    sentences, each ending with markers from 1 to ``items``, or the refusal. It shapes the form only;
    verification still decides what is kept."""
    numbers = " | ".join(f'"{n}"' for n in range(1, max(items, 1) + 1))
    return (
        f'root ::= "{DECLINE}" | sentence (" " sentence){{0,3}}\n'
        'sentence ::= [A-Z"] char{10,300} [.!?] " " marker{1,3}\n'
        'char ::= [^\\[\\]\\n.!?] | "." [0-9A-Za-z]\n'
        f'marker ::= "[" ({numbers}) "]"\n'
    )


def label(item: Citation) -> str:
    """How an evidence item is introduced: its instrument, and its section where known."""
    return f"{item.title} - {item.section}" if item.section else item.title


def evidence_block(items: Sequence[Citation]) -> str:
    return "\n\n".join(f"[{i}] {label(item)}\n{display_quote(item.quote)}" for i, item in enumerate(items, 1))


def messages(question: str, items: Sequence[Citation]) -> list[tuple[str, str]]:
    """The chat messages, as (role, content) pairs that LangChain chat models accept."""
    user = f"Evidence:\n\n{evidence_block(items)}\n\nQuestion: {question}\n\nAnswer, with a [n] marker after every sentence:"
    return [("system", SYSTEM), ("user", user)]
