"""The content words of a question or a sentence.

Shared by retrieval (which words the lexical index is asked for) and
answering (which words of the question a sentence covers).
"""

from __future__ import annotations

import re

__all__ = ["query_terms", "lexical_terms", "base_form", "drafting_words", "asks_about_requirements", "asks_for_definition", "asks_for_reasons"]

_STOPWORDS = frozenset(
    """a an and are as at be been being by can could did do does doing for from had has have how i if in into is it its
    me my of on or our shall should so than that the their them then there these they this those to under up was we
    were what when where which while who whom whose why will with would you your about any all also may must not no
    such other each per via within without between against over more most much many some say says said tell""".split()
)
_WORD = re.compile(r"[\w][\w'’-]*", re.UNICODE)


def query_terms(text: str) -> list[str]:
    """The content words of a text, lowercased, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        word = word.strip("'’-_")
        if len(word) >= 2 and word not in _STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def base_form(term: str) -> str:
    """A term without its possessive ending: "china's" -> "china"."""
    return re.sub(r"['’]s$", "", term)


_REQUIREMENT = re.compile(
    r"\b(requir\w*|obligat\w*|must|shall|prohibit\w*|ban\w*|penalt\w*|fines?|dut(?:y|ies)|compl\w*|mandat\w*|"
    r"allow\w*|permit\w*|forbid\w*|defin\w*|exempt\w*|applies|apply|scope|provide[sr]?|deployers?)\b",
    re.IGNORECASE,
)


def asks_about_requirements(question: str) -> bool:
    """The question asks what a text requires, allows or defines."""
    return bool(_REQUIREMENT.search(question))


_REASONS = re.compile(r"\b(?:recitals?|preamble|why|rationale|reasons?)\b", re.IGNORECASE)


def asks_for_reasons(question: str) -> bool:
    """The question asks why a text says what it says, or names its recitals: what the recitals are for."""
    return bool(_REASONS.search(question))


_DEFINITION = re.compile(
    r"\b(?:defin\w*|who (?:is|are|counts as) (?:an?|the)\b|what (?:is|are) (?:an?|the)\b.{0,40}\bmean|what counts as|"
    r"meaning of|mean by)",
    re.IGNORECASE,
)


def asks_for_definition(question: str) -> bool:
    """The question asks how a text defines a term ("define", "who is a deployer", "what counts as")."""
    return bool(_DEFINITION.search(question))


# Everyday words and the words legal texts use for the same thing: "Which uses does the AI Act ban?"
# is answered by "The following AI practices shall be prohibited".
_DRAFTING = {
    "ban": ("prohibited", "prohibition"), "bans": ("prohibited", "prohibition"),
    "banned": ("prohibited", "prohibition"), "banning": ("prohibited", "prohibition"),
    "forbid": ("prohibited",), "forbids": ("prohibited",), "forbidden": ("prohibited",),
    "outlaw": ("prohibited",), "outlaws": ("prohibited",), "outlawed": ("prohibited",),
}


def drafting_words(term: str) -> tuple[str, ...]:
    """The words a legal text uses for the everyday ``term`` ("ban" -> "prohibited", "prohibition")."""
    return _DRAFTING.get(term, ())


def lexical_terms(question: str) -> list[str]:
    """The words the lexical index is asked for: the question's content words with the words legal
    texts use for its everyday ones ("ban": "prohibited"), and, when it asks for a definition,
    "definition" (the index holds "definition of <term>" beside each definition)."""
    terms = query_terms(question)
    for term in list(terms):
        terms += [w for w in drafting_words(term) if w not in terms]
    if asks_for_definition(question) and "definition" not in terms:
        terms.append("definition")
    return terms
