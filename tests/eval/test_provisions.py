"""provision_hit@k: the right article among the top passages, read from the document's own structure."""

from __future__ import annotations

from eval.metrics import Span
from eval.provisions import Provisions

TEXT = (
    "Article 1\nSubject matter\nThis Regulation lays down rules for the placing on the market of AI systems.\n\n"
    "Article 2\nScope\n1. This Regulation applies to providers placing AI systems on the market.\n"
    "2. It also applies to deployers of AI systems located within the Union.\n\n"
    "Article 3\nDefinitions\nFor the purposes of this Regulation, the following definitions apply.\n"
)


def _span(quote: str, document_id: str = "act") -> Span:
    start = TEXT.index(quote)
    return Span(document_id, start, start + len(quote))


def test_the_right_article_anywhere_in_the_top_passages():
    provisions = Provisions({"act": TEXT}.get)
    gold = [_span("deployers of AI systems located within the Union")]
    first, second, third = (_span(q) for q in ("lays down rules", "applies to providers", "following definitions"))
    assert provisions.scores([second, first], gold) == {"provision_hit@1": 1.0, "provision_hit@5": 1.0}
    assert provisions.scores([first, third, second], gold) == {"provision_hit@1": 0.0, "provision_hit@5": 1.0}
    assert provisions.scores([first, third], gold) == {"provision_hit@1": 0.0, "provision_hit@5": 0.0}
    assert provisions.scores([_span("lays down rules", "other")], gold)["provision_hit@5"] == 0.0  # same text, another document


def test_a_passage_across_a_boundary_touches_both_articles():
    provisions = Provisions({"act": TEXT}.get)
    across = _span("AI systems.\n\nArticle 2\nScope")
    assert provisions.scores([across], [_span("applies to providers")])["provision_hit@1"] == 1.0
    assert provisions.scores([across], [_span("lays down rules")])["provision_hit@1"] == 1.0


def test_gold_in_several_provisions_or_an_unknown_document_is_not_scored():
    provisions = Provisions({"act": TEXT}.get)
    both = [_span("lays down rules"), _span("following definitions")]
    assert provisions.scores([_span("lays down rules")], both) == {"provision_hit@1": None, "provision_hit@5": None}
    assert provisions.scores([], [_span("lays down rules", "missing")])["provision_hit@5"] is None
