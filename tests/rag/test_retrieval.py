"""How ranked chunks become passages, with the real model, real Chroma and real SQLite: a
long section gives a passage for each of its pieces that match, far apart, and no passage
repeats text another one shows."""

from __future__ import annotations

import pytest

from rag.pipeline import Pipeline
from tests.helpers import pipeline_over

# One section (no numbered paragraphs, so every chunk has the same section path): the
# duty about harbour beacons opens it and the duty about storm logs closes it, with
# unrelated duties between them, far more than one chunk long.
FILLER = [
    "The operator shall keep the visitor centre open on public holidays and publish its opening hours.",
    "The operator shall maintain the car park, repaint its markings every spring and clear it of snow.",
    "The operator shall train its staff in first aid and renew that training every two years.",
    "The operator shall offer guided tours in at least two languages during the summer season.",
    "The operator shall keep the picnic area clean and empty its bins every evening.",
    "The operator shall inspect the footpaths monthly and repair loose paving stones within a week.",
]
SECTION = "\n\n".join(
    [
        "The operator shall switch on every harbour beacon at dusk and test each harbour beacon's lamp "
        "before the first vessel of the night enters the harbour.",
        *(f"{duty} This applies at site {n}." for n in range(1, 9) for duty in FILLER),
        "The operator shall record every storm in the storm log, with the wind speed and the damage seen, "
        "and keep each storm log for ten years.",
    ]
)
DOCUMENT = f"# Coastal Operations Code\n\n## Article 7 Duties of the operator\n\n{SECTION}\n"


@pytest.fixture(scope="module")
def code_pipeline(tmp_path_factory):
    pipeline = pipeline_over(tmp_path_factory, "code", {"coastal-code.md": DOCUMENT})
    yield pipeline
    pipeline.close()


def _with(pipeline: Pipeline, **retrieval) -> Pipeline:
    settings = pipeline.settings
    pipeline.retriever.settings = settings.retrieval.model_copy(update=retrieval)
    return pipeline


@pytest.fixture
def code(code_pipeline):
    defaults = code_pipeline.retriever.settings
    yield code_pipeline
    code_pipeline.retriever.settings = defaults


QUERY = "harbour beacon storm log"


def test_the_section_is_long_enough_to_have_far_pieces(code):
    ids = code.store.chunk_ids_of("coastal-code.md")
    chunks = code.store.get_chunks(ids)
    article = [c for c in chunks.values() if c.section and "Article 7" in c.section]
    assert len(article) >= 7 and len({c.section for c in article}) == 1


def test_far_pieces_of_one_section_each_get_a_passage(code):
    passages = code.search(QUERY, top_k=5)
    text = code.get_text("coastal-code.md")
    shown = [p for p in passages if p.section and "Article 7" in p.section]
    assert any("harbour beacon" in p.text for p in shown)
    assert any("storm log" in p.text for p in shown)
    assert len(shown) >= 2, "the two matching pieces are too far apart for one passage"
    for p in passages:
        assert text[p.start:p.end] == p.text
    spans = sorted((p.start, p.end) for p in shown)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:])), "passages repeat text"


def test_one_passage_per_section_leaves_the_far_piece_out(code):
    _with(code, section_passages=1)
    shown = [p for p in code.search(QUERY, top_k=5) if p.section and "Article 7" in p.section]
    assert len(shown) == 1
    assert ("harbour beacon" in shown[0].text) != ("storm log" in shown[0].text)


def test_a_piece_already_shown_inside_a_passage_is_not_shown_again(code):
    _with(code, section_gap=5, section_passages=5)
    passages = code.search("operator shall", top_k=10)
    seen: set[str] = set()
    for p in passages:
        assert not (seen & set(p.chunk_ids)), "a chunk appears in two passages"
        seen |= set(p.chunk_ids)
    spans = sorted((p.start, p.end) for p in passages if p.section and "Article 7" in p.section)
    assert all(a_end <= b_start for (_, a_end), (b_start, _) in zip(spans, spans[1:]))
