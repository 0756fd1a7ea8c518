"""Document status and dates: statements found in the text, derived status, filters, answers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.errors import InvalidInput
from rag.loading import load_file
from rag.statements import (
    APPLIES_FROM,
    IN_FORCE_FROM,
    REFERS_REVOKED,
    REVOKES,
    SUPERSEDES,
    find_statements,
    iso_date,
)
from rag.status import REVOKED, keep, resolve_status_filters

EO_14110 = "us__us-eo-14110-safe-secure-trustworthy-ai-2023.md"
EO_14141 = "us__us-eo-14141-ai-infrastructure-2025.md"
EO_14179 = "us__us-eo-14179-removing-barriers-ai-2025.md"
DATA_CENTERS = "us__us-eo-data-center-permitting-2025.md"


def _statements(corpus: Path, relative: str):
    document = load_file(corpus / relative, corpus)
    return document.text, find_statements(document.text)


# ---------------------------------------------------------------- statements in the text (pure)


def test_revocations_in_the_corpus_text(shared_corpus):
    text, found = _statements(shared_corpus, "us/us-eo-data-center-permitting-2025.md")
    revokes = [s for s in found if s.kind == REVOKES]
    assert [s.target.number for s in revokes] == ["14141"]
    assert text[revokes[0].start:revokes[0].end].rstrip().endswith("is\nhereby revoked.")
    assert revokes[0].target.date == "2025-01-14"

    text, found = _statements(shared_corpus, "us/us-eo-14179-removing-barriers-ai-2025.md")
    mention = [s for s in found if s.kind == REFERS_REVOKED]
    assert [s.target.number for s in mention] == ["14110"]
    assert "the revoked\nExecutive Order 14110" in text[mention[0].start:mention[0].end]
    # "This order revokes certain existing AI policies" names no instrument: no statement
    assert not [s for s in found if s.kind == REVOKES]

    _, found = _statements(shared_corpus, "us/us-eo-national-policy-framework-ai-2025-12.md")
    # "Pursuant to Executive Order 14179 ..., I revoked my predecessor's attempt": 14179 is not revoked
    assert not [s for s in found if s.target is not None]


def test_staged_application_dates_of_the_ai_act(shared_corpus):
    text, found = _statements(shared_corpus, "eu/eu-ai-act-2024-1689.txt")
    dates = {(s.date, s.scope) for s in found if s.kind == APPLIES_FROM}
    assert ("2026-08-02", None) in dates
    assert ("2025-02-02", "Chapters I and II") in dates
    assert any(d == "2025-08-02" and scope.startswith("Chapter III Section 4") for d, scope in dates if scope)
    assert any(d == "2027-08-02" and scope.startswith("Article 6(1)") for d, scope in dates if scope)
    for s in found:
        assert "shall apply from" in text[s.start:s.end]

    _, found = _statements(shared_corpus, "china/china-genai-interim-measures-2023-en-casi.md")
    assert [(s.kind, s.date, s.scope) for s in found] == [(IN_FORCE_FROM, "2023-08-15", None)]


@pytest.mark.parametrize(
    "sentence, kind, number",
    [
        ("Sec. 3. Executive Order 13859 of February 11, 2019, is hereby revoked.", REVOKES, "13859"),
        ("This order supersedes Executive Order 13960 of December 3, 2020.", SUPERSEDES, "13960"),
        ("Executive Order 13960 is superseded by this order.", SUPERSEDES, "13960"),
        ("Agencies shall review actions taken under the rescinded Executive Order 14028.", REFERS_REVOKED, "14028"),
        ("The Secretary may revoke a waiver issued under Executive Order 14028 at any time.", None, None),
        ("Pursuant to Executive Order 14179, I revoked my predecessor's attempt to regulate.", None, None),
    ],
)
def test_revocation_sentences(sentence, kind, number):
    text = "Preamble text.\n\n" + sentence + "\n\nSec. 9. General Provisions."
    found = [s for s in find_statements(text) if s.target is not None]
    if kind is None:
        assert found == []
    else:
        assert [(s.kind, s.target.number) for s in found] == [(kind, number)]
        assert text[found[0].start:found[0].end] == sentence.split("Sec. 3. ")[-1]


def test_dates_are_read_in_both_orders():
    assert iso_date("2 August 2026") == "2026-08-02"
    assert iso_date("FEBRUARY 1,2026") == "2026-02-01"
    assert iso_date("August 15, 2023") == "2023-08-15"
    assert iso_date("31 February 2026") is None


# ---------------------------------------------------------------- through a real pipeline


@pytest.fixture(scope="module")
def orders_corpus(tmp_path_factory, shared_corpus) -> Path:
    """Four US orders with a catalogue that says nothing about status (and no entry at all for
    EO 14110, so it is known only by its own front-matter title). The two long orders are cut
    to their opening, which is all their own text needs to contribute here."""
    folder = tmp_path_factory.mktemp("orders")
    catalog = json.loads((shared_corpus / "catalog.json").read_text())["documents"]
    entries = {}
    for name, cut in (
        ("us/us-eo-14110-safe-secure-trustworthy-ai-2023.md", 6000),
        ("us/us-eo-14141-ai-infrastructure-2025.md", 6000),
        ("us/us-eo-14179-removing-barriers-ai-2025.md", None),
        ("us/us-eo-data-center-permitting-2025.md", None),
    ):
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if cut:
            target.write_text((shared_corpus / name).read_text(encoding="utf-8")[:cut], encoding="utf-8")
        else:
            shutil.copy(shared_corpus / name, target)
        if "14110" not in name:
            entries[name] = {k: v for k, v in catalog[name].items()
                             if k not in ("status", "revoked_on", "revoked_by", "superseded_by", "effective_from")}
    (folder / "catalog.json").write_text(json.dumps({"documents": entries}))
    return folder


@pytest.fixture(scope="module")
def orders(orders_corpus, tmp_path_factory):
    from rag.pipeline import Pipeline
    from tests.helpers import make_settings

    pipeline = Pipeline(make_settings(tmp_path_factory.mktemp("orders-data")))
    report = pipeline.ingest([orders_corpus])
    assert report.ok and len(report.added) == 4, report
    yield pipeline
    pipeline.close()


@pytest.mark.corpus
def test_revocations_found_without_catalogue_help(orders):
    statuses = orders.statuses()
    eo_14110 = statuses[EO_14110]
    assert eo_14110.status == REVOKED and eo_14110.basis == "text"
    assert eo_14110.revoked_no_later_than == "2025-01-23"
    (evidence,) = eo_14110.evidence
    assert evidence.document_id == EO_14179
    assert orders.get_text(EO_14179)[evidence.start:evidence.end] == evidence.quote
    assert "revoked\nExecutive Order 14110" in evidence.quote

    eo_14141 = statuses[EO_14141]
    assert eo_14141.status == REVOKED
    assert eo_14141.revoked_on == "2025-07-23"  # the date of the order that revokes it
    assert eo_14141.revoked_by.startswith("Executive Order: Accelerating Federal Permitting")
    assert orders.get_text(DATA_CENTERS)[eo_14141.evidence[0].start:eo_14141.evidence[0].end] == eo_14141.evidence[0].quote
    assert statuses[EO_14179].status == "in force" and statuses[EO_14179].basis == "document type"
    assert orders.get_document(EO_14141).status.status == REVOKED


@pytest.mark.corpus
def test_deleting_the_revoking_document_clears_the_mark(orders, orders_corpus):
    orders.delete(DATA_CENTERS)
    try:
        assert orders.statuses()[EO_14141].status == "in force"
    finally:
        orders.ingest([orders_corpus])
    assert orders.statuses()[EO_14141].status == REVOKED


@pytest.mark.corpus
def test_a_change_rereads_only_the_changed_document(orders, orders_corpus, monkeypatch):
    orders.statuses()
    read: list[str] = []
    original = orders.store.text_of
    monkeypatch.setattr(orders.store, "text_of", lambda document_id: read.append(document_id) or original(document_id))
    orders.delete(DATA_CENTERS)
    assert orders.statuses()[EO_14141].status == "in force"
    assert read == []  # the others' statements and texts are kept from their last reading
    orders.ingest([orders_corpus])
    assert orders.statuses()[EO_14141].status == REVOKED
    assert read == [DATA_CENTERS]


@pytest.mark.corpus
def test_filters_leave_out_what_is_not_in_force(orders):
    everything = {p.document_id for p in orders.search("artificial intelligence executive order", top_k=50)}
    assert {EO_14110, EO_14141} <= everything
    current = orders.search("artificial intelligence executive order", top_k=50, filters={"in_force": True})
    assert current and {p.document_id for p in current}.isdisjoint({EO_14110, EO_14141})
    assert all(p.status == "in force" for p in current)
    before = orders.search("artificial intelligence", top_k=50, filters={"as_of": "2024-12-31"})
    assert {p.document_id for p in before} == {EO_14110}  # the others are dated 2025
    answer = orders.ask("What does the order on AI infrastructure direct?", filters={"in_force": True})
    assert all(c.document_id not in (EO_14110, EO_14141) for c in answer.citations)
    for bad in ({"in_force": "yes"}, {"as_of": "2024-13-01"}, {"as_of": 20240101}):
        with pytest.raises(InvalidInput):
            orders.search("orders", filters=bad)


@pytest.mark.corpus
def test_status_questions_are_answered_with_the_revoking_sentence(orders):
    answer = orders.ask("Is EO 14141 still in force?")
    assert not answer.abstained
    assert "revoked" in answer.answer and "no longer in force" in answer.answer
    (citation,) = answer.citations
    assert citation.document_id == DATA_CENTERS
    assert orders.get_text(DATA_CENTERS)[citation.start:citation.end] == citation.quote
    assert answer.understood["documents"][0]["document_id"] == EO_14141


@pytest.mark.corpus
def test_status_questions_show_the_revoking_passage_first(orders):
    """The passages shown with a status answer hold the sentence it quotes, first, for /ask and /search."""
    evidence = orders.statuses()[EO_14141].evidence[0]
    for question in ("Is EO 14141 on AI infrastructure still in effect?", "Which order revoked Executive Order 14141?"):
        answer = orders.ask(question)
        top = answer.passages[0]
        assert top.document_id == DATA_CENTERS and top.start <= evidence.start < evidence.end <= top.end, top
        hit = orders.search(question, top_k=3)[0]
        assert hit.document_id == DATA_CENTERS and hit.start <= evidence.start < hit.end
    # a question that is not about status is not steered by status evidence
    question = "What does EO 14141 direct agencies to do on federal land?"
    facts = orders.status.refresh()
    assert orders.steer(question, facts.lexicon.understand(question), facts, None).spans == ()


@pytest.mark.corpus
def test_citing_a_revoked_order_warns(orders):
    answer = orders.ask("What does Executive Order 14110 say about the purpose of governing AI safely and responsibly?")
    assert not answer.abstained
    cited = {c.document_id: c.status for c in answer.citations}
    assert cited.get(EO_14110) == REVOKED
    assert answer.warnings and "14110" in answer.warnings[0]
    assert "which was revoked" in answer.answer
    assert any(c.document_id == EO_14179 and "revoked\nExecutive Order 14110" in c.quote for c in answer.citations)
    for c in answer.citations:
        assert orders.get_text(c.document_id)[c.start:c.end] == c.quote


def test_keep_rules():
    from rag.status import DocumentStatus

    revoked = DocumentStatus("a", "A", REVOKED, "text", date="2023-10-30", revoked_on="2025-01-20")
    assert not keep(revoked, True, None)
    assert keep(revoked, None, "2024-06-01") and keep(revoked, True, "2024-06-01")
    assert not keep(revoked, None, "2025-02-01")
    assert not keep(revoked, None, "2023-01-01")  # not yet issued
    unknown_date = DocumentStatus("b", "B", REVOKED, "text", date="2023-10-30")
    assert not keep(unknown_date, True, "2024-01-01")
    assert resolve_status_filters({"jurisdiction": "us"}, {}) == {"jurisdiction": "us"}
    assert resolve_status_filters({"in_force": True, "document_ids": ["a"]}, {"a": revoked}) == {"document_ids": []}


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Are the AI Act's prohibited practices already applicable?", "timing"),
        ("Is the reporting duty yet in effect?", "timing"),
        ("Do the AI Act's bans already apply?", "timing"),
        ("when do the high-risk rules start applying?", "timing"),
        ("Is EO 14141 still in force?", "status"),
        ("Which order revoked Executive Order 14141?", "status"),
        ("What do the prohibited practices cover?", None),
        ("Which obligations already apply to deployers under Article 26?", None),
    ],
)
def test_status_and_timing_questions_are_told_apart(question, kind):
    from rag.status_answers import asks_about_status

    assert asks_about_status(question) == kind
