"""Hybrid search: dense (Chroma) and BM25 (SQLite FTS5) candidates, fused by
reciprocal rank, nudged toward operative provisions for questions about what a
text requires, then merged into passages: the nearby pieces of a section are shown
together, its far pieces apart, and no text twice."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .config import RetrievalSettings
from .definitions import DefinitionMap
from .embedding import Embedder
from .errors import InvalidInput, storage_failure
from .recitals import RecitalLinks
from .steering import SectionMap, Side, Steer
from .store.documents import DocumentStore, StoredChunk
from .store.vectors import VectorIndex
from .terms import asks_about_requirements, asks_for_definition, asks_for_reasons, lexical_terms
from .types import Passage

log = logging.getLogger(__name__)

MODES = ("hybrid", "dense", "bm25")
_LEADING = 10  # candidates whose recitals may raise the provisions they explain
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")

@dataclass
class Ranked:
    chunk_id: str
    score: float


class Retriever:
    """Finds passages. ``executor`` runs the lexical search beside the query embedding
    (the pipeline owns it); ``settings`` holds the fusion and ranking weights."""

    def __init__(
        self,
        store: DocumentStore,
        vectors: Callable[[], VectorIndex],
        embedder: Embedder,
        settings: RetrievalSettings,
        executor: Executor,
    ) -> None:
        self.store = store
        self._vectors = vectors
        self.embedder = embedder
        self.settings = settings
        self.executor = executor
        self.sections = SectionMap(store)
        self.definitions = DefinitionMap(store)
        self.recitals = RecitalLinks(store)
        self._texts: dict[tuple[str, str], str] = {}
        self._texts_lock = threading.Lock()

    # ------------------------------------------------------------ filters

    def allowed_documents(self, filters: dict[str, Any] | None) -> list[str] | None:
        """The ids of documents that pass ``filters`` (None: no filter)."""
        if not filters:
            return None
        if not isinstance(filters, dict):
            raise InvalidInput("filters must be an object such as {\"jurisdiction\": \"eu\"}")
        rules = dict(filters)
        ids = rules.pop("document_ids", None)
        date_from = rules.pop("date_from", None)
        date_to = rules.pop("date_to", None)
        for name, value in (("date_from", date_from), ("date_to", date_to)):
            if value is not None and (not isinstance(value, str) or not _DATE.match(value)):
                raise InvalidInput(f"filter {name} must be a date written YYYY-MM-DD, not {value!r}")
        if ids is not None:
            ids = [ids] if isinstance(ids, str) else ids
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise InvalidInput("filter document_ids must be a list of document ids")
        wanted: dict[str, set[str]] = {}
        for key, value in rules.items():
            values = value if isinstance(value, list) else [value]
            if not values or not all(isinstance(v, (str, int, float, bool)) for v in values):
                raise InvalidInput(f"filter {key!r} must be a value or a list of values")
            wanted[key] = {str(v).lower() for v in values}
        allowed = []
        for doc_id, meta in self.store.metadata_index():
            if ids is not None and doc_id not in ids:
                continue
            date = str(meta.get("date", ""))
            if date_from and (not date or date[: len(date_from)] < date_from):
                continue
            if date_to and (not date or date[: len(date_to)] > date_to):
                continue
            if any(_meta_values(meta.get(key)) .isdisjoint(values) for key, values in wanted.items()):
                continue
            allowed.append(doc_id)
        return allowed

    # ------------------------------------------------------------ ranking

    def rank(
        self,
        query: str,
        filters: dict | None,
        mode: str = "hybrid",
        embed: Callable[[str], np.ndarray] | None = None,
        steer: Steer | None = None,
    ) -> tuple[list[Ranked], np.ndarray | None]:
        """Fused candidates, best first, and the query vector (None in bm25 mode).

        The lexical search needs no vector, so it runs on another thread while the
        query is embedded (SQLite and the model runtimes release the GIL).
        ``steer`` (see ``rag.steering``) narrows the search to one named instrument,
        raises named instruments, searches each side of a comparison apart and puts
        the chunks of a cited provision first."""
        if mode not in MODES:
            raise InvalidInput(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        allowed = self.allowed_documents(filters)
        definitions = mode == "hybrid" and self.settings.definitions_first
        defining = definitions and asks_for_definition(query)
        if steer is None or not steer.active:
            ranked, vector = self._fuse(query, allowed, mode, embed)
            return (self._definitions_first(query, ranked, allowed) if defining else ranked), vector
        within = steer.query or query
        if steer.sides:
            ranked, vector = self._sides(within, allowed, mode, embed, steer, query if definitions else None)
        elif steer.only:
            ranked, vector = self._fuse(within, _within(steer.only, allowed), mode, embed)
            if defining:
                ranked = self._definitions_first(query, ranked, _within(steer.only, allowed))
        else:
            ranked, vector = self._fuse(query, allowed, mode, embed)
            if steer.boost:
                ranked = self._boosted(query, ranked, _within(steer.boost, allowed), mode, vector)
            if defining:
                ranked = self._definitions_first(query, ranked, allowed)
        if steer.provisions or steer.spans:
            ranked = self._provisions_first(ranked, steer, allowed)
        return ranked, vector

    def _fuse(
        self,
        query: str,
        allowed: list[str] | None,
        mode: str,
        embed: Callable[[str], np.ndarray] | None = None,
        vector: np.ndarray | None = None,
    ) -> tuple[list[Ranked], np.ndarray | None]:
        """Both searches over ``allowed`` fused by reciprocal rank (``vector``: the query's, when known)."""
        candidates, rrf_k = self.settings.candidates, self.settings.rrf_k
        lexical = None
        if mode in ("hybrid", "bm25"):
            lexical = self.executor.submit(
                self.store.lexical_search, lexical_terms(query), candidates, allowed, self._bm25_weights()
            )
        fused: dict[str, Ranked] = {}
        if mode in ("hybrid", "dense"):
            if vector is None:
                vector = (embed or self.embedder.embed_query)(query)
            dense = self._dense(vector, candidates, allowed, mode) if allowed is None or allowed else []
            for rank, (chunk_id, _similarity) in enumerate(dense):
                fused[chunk_id] = Ranked(chunk_id, 1.0 / (rrf_k + rank + 1))
        if lexical is not None:
            for rank, (chunk_id, _) in enumerate(lexical.result()):
                entry = fused.setdefault(chunk_id, Ranked(chunk_id, 0.0))
                entry.score += 1.0 / (rrf_k + rank + 1)
        return sorted(fused.values(), key=lambda r: r.score, reverse=True), vector

    def _boosted(
        self, query: str, ranked: list[Ranked], named: list[str] | None, mode: str, vector: np.ndarray | None
    ) -> list[Ranked]:
        """``ranked`` with the named documents' own best chunks merged in and raised."""
        if not named:
            return ranked
        own, _ = self._fuse(query, named, mode, vector=vector)
        scores = {r.chunk_id: r.score for r in ranked}
        for r in own:
            scores[r.chunk_id] = max(scores.get(r.chunk_id, 0.0), r.score)
        factor = self.settings.named_boost
        members = set(named)
        out = [Ranked(c, s * factor if c.rsplit(":", 2)[0] in members else s) for c, s in scores.items()]
        return sorted(out, key=lambda r: r.score, reverse=True)

    def _sides(
        self,
        query: str,
        allowed: list[str] | None,
        mode: str,
        embed: Callable[[str], np.ndarray] | None,
        steer: Steer,
        defining: str | None = None,
    ) -> tuple[list[Ranked], np.ndarray | None]:
        """Each side of a comparison searched apart, then taken in turn: the first of each
        side, the second of each side... ``defining``: the question, whose terms a side defines
        are what the sides are compared on ("the AI Act's general-purpose AI model and SB 53's
        foundation model"): each side's definition of such a term comes first."""
        vector = None
        if mode in ("hybrid", "dense"):
            vector = (embed or self.embedder.embed_query)(query)
        lists = []
        for side in steer.sides:
            members = _within(side.document_ids, allowed)
            own, _ = self._fuse(query, members, mode, vector=vector)
            if defining is not None:
                own = self._definitions_first(defining, own, members)
            lists.append(own)
        seen: set[str] = set()
        merged: list[Ranked] = []
        for rank in range(max((len(x) for x in lists), default=0)):
            for own in lists:
                if rank < len(own) and own[rank].chunk_id not in seen:
                    seen.add(own[rank].chunk_id)
                    merged.append(own[rank])
        return merged, vector

    def _definitions_first(self, question: str, ranked: list[Ranked], documents: list[str] | None) -> list[Ranked]:
        """The chunks defining the term ``question`` asks about (in ``documents``; None: all) ahead
        of the rest."""
        if documents is not None and not documents:
            return ranked
        first = self.definitions.defining(question, documents)
        if not first:
            return ranked
        top = max((r.score for r in ranked), default=1.0) or 1.0
        n = len(first)
        raised = [Ranked(chunk_id, 2 * top + (n - i) / n * top) for i, chunk_id in enumerate(first)]
        return raised + [r for r in ranked if r.chunk_id not in set(first)]

    def _provisions_first(self, ranked: list[Ranked], steer: Steer, allowed: list[str] | None) -> list[Ranked]:
        """The chunks holding the steer's spans (the sentences a status answer quotes), then those
        of each cited provision, in their own fused order (the paragraph the question cites first),
        ahead of everything else, then the rest."""
        if not (steer.provisions or steer.spans):
            return ranked
        scores = {r.chunk_id: r.score for r in ranked}
        top = max(scores.values(), default=1.0) or 1.0
        first: list[Ranked] = []
        for document_id, start, end in steer.spans:
            if allowed is None or document_id in allowed:
                first.extend(Ranked(chunk_id, 0.0) for chunk_id in self.store.chunks_at(document_id, start, end))
        share = max(2, self.settings.provision_chunks // max(1, len(steer.provisions)))  # "Articles 5 and 6": both shown
        for document_id, provision in steer.provisions:
            if allowed is not None and document_id not in allowed:
                continue
            exact, rest = self.sections.chunks_of(document_id, provision)
            own: list[str] = []
            for group in (exact, rest):
                ordered = sorted(enumerate(group), key=lambda t: (-scores.get(t[1], 0.0), t[0]))
                own.extend(chunk_id for _, chunk_id in ordered)
            first.extend(Ranked(chunk_id, 0.0) for chunk_id in own[:share])
        if not first:
            return ranked
        chosen: list[Ranked] = []
        seen: set[str] = set()
        for r in first:
            if r.chunk_id not in seen:
                seen.add(r.chunk_id)
                chosen.append(r)
        n = len(chosen)
        raised = [Ranked(r.chunk_id, 2 * top + (n - i) / n * top) for i, r in enumerate(chosen)]
        return raised + [r for r in ranked if r.chunk_id not in seen]

    def _dense(self, vector: np.ndarray, candidates: int, allowed: list[str] | None, mode: str) -> list[tuple[str, float]]:
        """Nearest chunks. A vector index that cannot be read (its disk is full, say) leaves a
        hybrid search to the lexical index alone rather than failing it."""
        try:
            return self._vectors().query(vector, candidates, allowed)
        except Exception as exc:
            if mode != "hybrid":
                raise storage_failure(exc) from exc
            log.warning("the vector index cannot be read (%s); searching the lexical index alone", exc)
            return []

    def passages(
        self,
        query: str,
        ranked: list[Ranked],
        top_k: int,
        policy_aware: bool = True,
        with_vectors: bool = True,
        sides: tuple[Side, ...] = (),
    ) -> tuple[list[Passage], dict[str, StoredChunk]]:
        """Turn ranked chunks into at most ``top_k`` passages, one per run of a section's chunks
        (``with_vectors``: also load the sentence vectors an answer needs).

        A chunk near a passage of its section joins it; one too far to join starts a passage
        of its own, up to ``section_passages`` for one section (a long article or a list of
        many items holds answers to different questions in pieces far apart). With the ``sides``
        of a comparison, each side's passages are formed apart and taken in turn, so that no side
        loses its share of the ``top_k`` to another side's longer sections or operative provisions.

        Unless the question asks for reasons, recitals rank below the provisions they explain
        (``rag.recitals``): a recital among the first candidates raises its provision, then gives way."""
        rules = policy_aware and not asks_for_reasons(query)  # a question about the reasons is answered by recitals
        if rules:
            ranked = self._explained(ranked, len(sides))
        chunks = self.store.get_chunks([r.chunk_id for r in ranked], with_vectors=with_vectors)
        boost = policy_aware and asks_about_requirements(query)
        scored = []
        for r in ranked:
            chunk = chunks.get(r.chunk_id)
            if chunk is None:  # an orphan vector: never surfaces
                continue
            score = r.score
            if boost:
                score *= self._kind_factor(chunk.kind)
            elif rules and chunk.kind == "recital":
                score *= self.settings.recital_damping
            scored.append((score, r, chunk))
        scored.sort(key=lambda t: t[0], reverse=True)
        if len(sides) < 2:
            return [self._passage(g) for g in self._groups(scored, top_k)], chunks
        shares = [self._groups([t for t in scored if _side_of(t[2].document_id, sides) == i], top_k)
                  for i in [*range(len(sides)), -1]]  # -1: chunks of no side (a provision cited elsewhere)
        taken: list[dict] = []
        for rank in range(top_k):  # each round: the sides' passages of that rank, the strongest first
            taken += sorted((own[rank] for own in shares if rank < len(own)), key=lambda g: -g["score"])
        taken = taken[:top_k]
        n = len(taken)
        for i, group in enumerate(taken):  # the order taken, as scores
            group["score"] = (n - i) / n
        return [self._passage(g) for g in taken], chunks

    def _explained(self, ranked: list[Ranked], sides: int) -> list[Ranked]:
        """``ranked`` with the provision each leading recital explains raised to a share
        (``recital_links``) of the recital's score: the first ``_LEADING`` candidates (of each side)."""
        factor = self.settings.recital_links
        if factor <= 0:
            return ranked
        scores = {r.chunk_id: r.score for r in ranked}
        raised = False
        leading = ranked[: _LEADING * max(1, sides)]
        links = self.recitals.explained([r.chunk_id for r in leading])
        for r in leading:
            link = links.get(r.chunk_id)
            if link is not None and scores.get(link[0], 0.0) < r.score * factor:
                scores[link[0]] = r.score * factor
                raised = True
        if not raised:
            return ranked
        return sorted((Ranked(c, s) for c, s in scores.items()), key=lambda r: r.score, reverse=True)

    def _groups(self, scored: list[tuple[float, Ranked, StoredChunk]], top_k: int) -> list[dict]:
        """At most ``top_k`` passages (as groups of chunks) from scored chunks, best first."""
        gap, per_section = self.settings.section_gap, self.settings.section_passages
        groups: list[dict] = []
        for score, r, chunk in scored:
            kin = [g for g in groups if _same_section(g, chunk)]
            if any(_inside(g["chunks"], chunk) for g in kin):
                continue  # already shown: a passage shows the text from its first chunk to its last
            home = next((g for g in kin if _joins(g["chunks"], chunk, gap)), None)
            if home is not None:
                home["chunks"].append(chunk)
                home["ranked"].append(r)
            elif len(groups) < top_k and len(kin) < per_section:
                groups.append({"chunks": [chunk], "score": score, "ranked": [r]})
            # else: the passages are full, or its section has given all it may
        return groups

    def _bm25_weights(self) -> tuple[float, float, float]:
        s = self.settings
        return (s.bm25_text_weight, s.bm25_section_weight, s.bm25_title_weight)

    def _kind_factor(self, kind: str) -> float:
        if kind == "operative":
            return self.settings.operative_boost
        if kind == "recital":
            return self.settings.recital_damping
        return 1.0

    def _passage(self, group: dict) -> Passage:
        members: list[StoredChunk] = sorted(group["chunks"], key=lambda c: c.ordinal)
        first, last = members[0], members[-1]
        text = first.text if len(members) == 1 else self.document_text(first)[first.start:last.end]
        return Passage(
            document_id=first.document_id,
            title=first.title,
            section=first.section if len(members) == 1 else _common_section(members),
            page=first.page,
            start=first.start,
            end=last.end,
            text=text,
            score=round(float(group["score"]), 6),
            chunk_ids=tuple(c.id for c in members),
            kind=first.kind,
        )

    def document_text(self, chunk: StoredChunk) -> str:
        """The full text of ``chunk``'s document at the chunk's version (cached, thread-safe)."""
        key = (chunk.document_id, chunk.id.rsplit(":", 2)[-2])
        with self._texts_lock:
            text = self._texts.get(key)
        if text is None:
            text = self.store.text_of(chunk.document_id) or ""
            with self._texts_lock:
                if len(self._texts) > 256:
                    self._texts.clear()
                self._texts[key] = text
        return text


def _within(documents: tuple[str, ...] | list[str], allowed: list[str] | None) -> list[str]:
    """``documents`` that the request's filters allow."""
    return [d for d in documents if allowed is None or d in allowed]


def _side_of(document_id: str, sides: tuple[Side, ...]) -> int:
    """The index of the first side holding ``document_id`` (-1: none)."""
    return next((i for i, side in enumerate(sides) if document_id in side.document_ids), -1)


def _meta_values(value: Any) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, list):
        return {str(v).lower() for v in value}
    return {str(value).lower()}


def _joins(members: list[StoredChunk], chunk: StoredChunk, gap: int) -> bool:
    """Whether ``chunk`` extends a passage of its section: it is at most ``gap`` chunks away from
    one of its members and the passage stays within 3 chunks plus the gap (a passage shows the
    text from its first chunk to its last, so the chunks between are shown too)."""
    ordinals = [c.ordinal for c in members]
    near = any(0 < abs(o - chunk.ordinal) <= gap + 1 for o in ordinals)
    span = max([*ordinals, chunk.ordinal]) - min([*ordinals, chunk.ordinal]) + 1
    return near and len(members) < 3 and span <= 3 + gap


def _inside(members: list[StoredChunk], chunk: StoredChunk) -> bool:
    """Whether ``chunk`` lies between a passage's first and last chunk (so its text is shown)."""
    return min(c.ordinal for c in members) < chunk.ordinal < max(c.ordinal for c in members)


def _same_section(group: dict, chunk: StoredChunk) -> bool:
    head: StoredChunk = group["chunks"][0]
    return head.document_id == chunk.document_id and chunk.section is not None and head.section == chunk.section


def _common_section(members: list[StoredChunk]) -> str | None:
    parts = [m.section.split(" > ") if m.section else [] for m in members]
    common = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    return " > ".join(common) or None

