"""Document -> Chunks that follow the document's structure.

A chunk never crosses a hard boundary (heading, chapter, section, article,
annex, recital); inside one it packs whole sentences up to ``max_chars``,
preferring to close at a numbered paragraph. Each chunk's text is exactly
``document.text[start:end]``, and it carries its sentence spans so answers can
quote single sentences without re-splitting.

Two things are indexed with a chunk without entering its text:

- a definition ("(60) ‘deep fake’ means ...", '"DEPLOYER" MEANS ...', 'The term
  “AI model” means ...') starts a chunk of its own, which carries the term it
  defines (``Chunk.defines``): each definition is its own retrievable unit;
- the provisions of the same document its text refers to ("Chapters I and II",
  "Article 5", "Annex III"), with their titles (``Chunk.refers_to``), so a
  question about "prohibited practices" finds the sentence saying when
  "Chapter II" applies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .config import ChunkingSettings
from .structure import SOFT_KINDS, SectionIndex, defined_term, find_headings, heading_titles, kind_of, references
from .types import Chunk, Document, Heading, Sentence

MIN_FRAGMENT = 20  # shorter pieces ("(a)", "1.") join the sentence that follows
MAX_SENTENCE = 600  # longer sentences are split at ";" or ","
TINY_REGION = 160  # a bare title region (no sentence, under this size) joins the next one

_BLOCK_BREAK = re.compile(
    r"\n[ \t]*\n\s*"  # blank line
    r"|\n(?=[ \t]*(?:[-*\u2022|#]|\(?[0-9]{1,3}[.)][ \t]|\([a-zivx]{1,4}\)[ \t]|\{\d+\}-|-{3,}))"  # list item, table row, marker
)
_SENTENCE_END = re.compile(r"([.!?][\"'\u201d\u2019)\]]*)\s+(?=[\"\u201c\u2018(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sec secs no nos art arts para paras e.g i.e etc u.s u.k u.n e.u inc ltd co corp vs v cf fig "
    "vol pp p jan feb mar apr jun jul aug sep sept oct nov dec st gen gov rep sen pres dept ch reg dir doc approx "
    "incl al seq ed eds op n.b c.f.r u.s.c pub l ibid viz".split()
)
_SPLIT_LONG = (re.compile(r";\s+"), re.compile(r":\s+"), re.compile(r",\s+"), re.compile(r"\s+"))


# ---------------------------------------------------------------- sentences


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Sentence]:
    """Sentence spans of ``text[start:end]``, trimmed of surrounding white space."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    block_start = start
    for match in _BLOCK_BREAK.finditer(text, start, end):
        spans.extend(_sentences_in_block(text, block_start, match.start()))
        block_start = match.end()
    spans.extend(_sentences_in_block(text, block_start, end))
    spans = _merge_fragments(text, spans)
    out: list[Sentence] = []
    for s, e in spans:
        out.extend(Sentence(a, b) for a, b in _split_long(text, s, e))
    return out


def _sentences_in_block(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans = []
    cursor = start
    for match in _SENTENCE_END.finditer(text, start, end):
        if _is_abbreviation(text, cursor, match.start()):
            continue
        spans.append((cursor, match.end(1)))
        cursor = match.end()
    spans.append((cursor, end))
    return [t for t in (_trim(text, s, e) for s, e in spans) if t]


def _is_abbreviation(text: str, sentence_start: int, dot: int) -> bool:
    word_start = dot
    while word_start > sentence_start and not text[word_start - 1].isspace() and text[word_start - 1] not in "(\"\u201c":
        word_start -= 1
    word = text[word_start:dot].lower().rstrip(".")
    if not word:
        return False
    if word in _ABBREVIATIONS:
        return True
    return len(word) == 1 and word.isalpha()  # an initial: "J. Smith"


def _trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _merge_fragments(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    pending: int | None = None
    for s, e in spans:
        if pending is not None:
            s = pending
            pending = None
        if e - s < MIN_FRAGMENT and not _is_heading_line(text, s, e):
            pending = s
            continue
        merged.append((s, e))
    if pending is not None:
        if merged:
            merged[-1] = (merged[-1][0], spans[-1][1])
        else:
            merged.append((pending, spans[-1][1]))
    return merged


def _is_heading_line(text: str, start: int, end: int) -> bool:
    return text.startswith(("Article", "CHAPTER", "ANNEX", "SECTION", "#"), start)


def _split_long(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cut an overlong sentence at the last ";", ":", "," or space that keeps
    pieces under MAX_SENTENCE (a run with no space at all is cut hard)."""
    pieces: list[tuple[int, int]] = []
    while end - start > MAX_SENTENCE:
        cut = _best_cut(text, start, min(end - 40, start + MAX_SENTENCE))
        piece = _trim(text, start, cut)
        if piece:
            pieces.append(piece)
        start = cut
        while start < end and text[start].isspace():
            start += 1
    tail = _trim(text, start, end)
    if tail:
        pieces.append(tail)
    return pieces


def _best_cut(text: str, start: int, limit: int) -> int:
    for pattern in _SPLIT_LONG:
        last = None
        for match in pattern.finditer(text, start + MAX_SENTENCE // 4, limit):
            last = match.end()
        if last is not None:
            return last
    return limit


# ---------------------------------------------------------------- chunks


@dataclass
class _Region:
    start: int
    end: int
    heading: Heading | None


def chunk_document(document: Document, settings: ChunkingSettings | None = None) -> list[Chunk]:
    settings = settings or ChunkingSettings()
    text = document.text
    headings = find_headings(text)
    sections = SectionIndex(text, headings)
    hard = [h for h in headings if h.kind not in SOFT_KINDS]
    soft_starts = {h.start for h in headings if h.kind in SOFT_KINDS}
    titles = heading_titles(text, headings)
    regions = _regions(text, hard)
    chunks: list[Chunk] = []
    for region in regions:
        sentences = split_sentences(text, region.start, region.end)
        terms = {s.start: term for s in sentences if (term := defined_term(text[s.start:s.start + 200]))}
        for group in _pack(sentences, soft_starts, settings, set(terms)):
            start, end = group[0].start, group[-1].end
            # a bare chapter title carried into this region does not make the chunk the chapter's
            anchor = max(start, region.heading.start) if region.heading else start
            path = _common_path(sections.path_at(anchor), sections.path_at(group[-1].start))
            own = {h.label for x in group for h in sections.path_at(x.start)}  # its own headings are no references
            chunks.append(
                Chunk(
                    id=f"{document.id}:{document.sha256[:12]}:{len(chunks):05d}",
                    document_id=document.id,
                    ordinal=len(chunks),
                    start=start,
                    end=end,
                    text=text[start:end],
                    section=SectionIndex.label(path),
                    page=document.page_at(start),
                    kind=kind_of(path),
                    sentences=tuple(
                        Sentence(x.start, x.end, SectionIndex.label(sections.path_at(x.start)), document.page_at(x.start))
                        for x in group
                    ),
                    defines=terms.get(start),
                    refers_to=tuple(references(text[start:end], titles, own)) if titles else (),
                )
            )
    return chunks


def _regions(text: str, hard: list[Heading]) -> list[_Region]:
    bounds = [0] + [h.start for h in hard if h.start > 0] + [len(text)]
    by_start = {h.start: h for h in hard}
    regions = [_Region(s, e, by_start.get(s)) for s, e in zip(bounds, bounds[1:]) if text[s:e].strip()]
    merged: list[_Region] = []
    carry: int | None = None
    for region in regions:
        start = carry if carry is not None else region.start
        carry = None
        if _bare_heading(text[region.start:region.end]) and region is not regions[-1]:
            carry = start
            continue
        merged.append(_Region(start, region.end, region.heading))
    if carry is not None:
        if merged:
            merged[-1] = _Region(merged[-1].start, len(text), merged[-1].heading)
        else:
            merged.append(_Region(carry, len(text), None))
    return merged


def _bare_heading(text: str) -> bool:
    """A region that is only a title ("CHAPTER III / HIGH-RISK AI SYSTEMS"), no sentence of its own."""
    stripped = text.strip()
    return len(stripped) < TINY_REGION and not re.search(r"[a-z)][.!?;:](\s|$)", stripped)


def _pack(
    sentences: list[Sentence], soft_starts: set[int], settings: ChunkingSettings, definitions: set[int] = frozenset()  # type: ignore[assignment]
) -> list[list[Sentence]]:
    max_chars = settings.max_chars
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    for sentence in sentences:
        if current:
            size = sentence.end - current[0].start
            full = current[-1].end - current[0].start
            at_paragraph = sentence.start in soft_starts and full >= settings.paragraph_break * max_chars
            if size > max_chars or at_paragraph or sentence.start in definitions:
                groups.append(current)
                current = []
        current.append(sentence)
    if current:
        groups.append(current)
    if len(groups) > 1:  # a short tail joins the group before it when that stays near the limit
        tail, before = groups[-1], groups[-2]
        short = tail[-1].end - tail[0].start < settings.tail_merge * max_chars
        own_unit = tail[0].start in definitions  # a definition stays its own chunk
        if short and not own_unit and tail[-1].end - before[0].start <= settings.tail_merge_limit * max_chars:
            groups[-2:] = [before + tail]
    return groups


def _common_path(a: tuple[Heading, ...], b: tuple[Heading, ...]) -> tuple[Heading, ...]:
    common = []
    for x, y in zip(a, b):
        if x != y:
            break
        common.append(x)
    return tuple(common)


def embedding_text(document_title: str, chunk: Chunk) -> str:
    """What is embedded for a chunk: its document title, section path and the term it defines, then its text."""
    head = " | ".join(part for part in (document_title, chunk.section, chunk.defines) if part)
    return f"{head}\n{chunk.text}"


__all__ = ["chunk_document", "split_sentences", "embedding_text"]
