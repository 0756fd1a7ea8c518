"""Metrics on small hand-made cases; every expected value is computed by hand."""

from __future__ import annotations

import math

import pytest

from eval.metrics import (
    Quote,
    Span,
    abstention_scores,
    average,
    average_by_category,
    citation_markers,
    citation_precision,
    citation_recall,
    citation_validity,
    cited_sentence_share,
    cosine,
    covers,
    embedding_similarity,
    first_hit_rank,
    latency_summary,
    mean,
    ndcg_at_k,
    normalize_answer,
    percentile,
    recall_at_k,
    reciprocal_rank,
    retrieval_scores,
    split_sentences,
    strip_citation_markers,
    token_f1,
    value_found,
)

GOLD_A = Span("a", 100, 200)
GOLD_B = Span("b", 0, 50)


# ---------------------------------------------------------------- cover rule


def test_cover_needs_same_document_and_ninety_percent():
    assert covers(Span("a", 0, 1000), GOLD_A)
    assert covers(Span("a", 110, 300), GOLD_A)  # 90 of 100 characters
    assert not covers(Span("a", 111, 300), GOLD_A)  # 89 of 100
    assert not covers(Span("b", 0, 1000), GOLD_A)
    assert covers(Span("a", 100, 200), GOLD_A)
    assert not covers(Span("a", 200, 300), GOLD_A)  # touching is not covering


def test_cover_of_empty_gold_span_is_by_position():
    assert covers(Span("a", 0, 10), Span("a", 5, 5))
    assert not covers(Span("a", 0, 10), Span("a", 11, 11))


# ---------------------------------------------------------------- retrieval


def test_recall_at_k_counts_gold_spans_across_documents():
    retrieved = [Span("c", 0, 10), Span("a", 90, 210), Span("x", 0, 5), Span("b", 0, 60)]
    gold = [GOLD_A, GOLD_B]
    assert recall_at_k(retrieved, gold, 1) == 0.0
    assert recall_at_k(retrieved, gold, 3) == 0.5
    assert recall_at_k(retrieved, gold, 4) == 1.0
    assert recall_at_k(retrieved, gold, 10) == 1.0


def test_retrieval_with_no_gold_is_undefined():
    assert recall_at_k([Span("a", 0, 10)], [], 5) is None
    assert reciprocal_rank([Span("a", 0, 10)], []) is None
    assert ndcg_at_k([Span("a", 0, 10)], []) is None


def test_retrieval_with_nothing_retrieved_scores_zero():
    assert recall_at_k([], [GOLD_A], 5) == 0.0
    assert reciprocal_rank([], [GOLD_A]) == 0.0
    assert ndcg_at_k([], [GOLD_A]) == 0.0
    assert first_hit_rank([], [GOLD_A]) is None


def test_reciprocal_rank_of_first_hit():
    retrieved = [Span("a", 0, 10), Span("b", 0, 50), Span("a", 100, 200)]
    assert first_hit_rank(retrieved, [GOLD_A, GOLD_B]) == 2
    assert reciprocal_rank(retrieved, [GOLD_A, GOLD_B]) == 0.5
    assert reciprocal_rank(retrieved, [GOLD_A]) == pytest.approx(1 / 3)


def test_ties_in_score_keep_the_given_order():
    # Two passages with the same score: rank is the list position, nothing is re-sorted.
    retrieved = [Span("a", 0, 10), Span("a", 100, 200)]
    assert reciprocal_rank(retrieved, [GOLD_A]) == 0.5


def test_ndcg_binary_relevance():
    # One gold span found at rank 2: DCG = 1/log2(3), ideal = 1.
    assert ndcg_at_k([Span("x", 0, 1), Span("a", 100, 200)], [GOLD_A]) == pytest.approx(1 / math.log2(3))
    # Two gold spans at ranks 1 and 3: (1 + 1/2) / (1 + 1/log2(3)).
    retrieved = [Span("a", 100, 200), Span("x", 0, 1), Span("b", 0, 50)]
    assert ndcg_at_k(retrieved, [GOLD_A, GOLD_B]) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))


def test_ndcg_does_not_reward_a_second_passage_on_the_same_evidence():
    retrieved = [Span("a", 100, 200), Span("a", 50, 250)]
    assert ndcg_at_k(retrieved, [GOLD_A]) == 1.0
    assert ndcg_at_k(retrieved, [GOLD_A, GOLD_B]) == pytest.approx(1 / (1 + 1 / math.log2(3)))


def test_ndcg_cuts_at_k():
    retrieved = [Span("x", 0, 1)] * 10 + [Span("a", 100, 200)]
    assert ndcg_at_k(retrieved, [GOLD_A], 10) == 0.0


def test_retrieval_scores_keys():
    scores = retrieval_scores([Span("a", 100, 200)], [GOLD_A])
    assert scores == {"recall@1": 1.0, "recall@3": 1.0, "recall@5": 1.0, "recall@10": 1.0, "mrr": 1.0, "ndcg@10": 1.0}


# ---------------------------------------------------------------- citations

TEXTS = {"a": "Alpha beta. Gamma delta.", "b": "Other text."}


def test_citation_validity():
    good = Quote("a", 0, 11, "Alpha beta.")
    shifted = Quote("a", 1, 12, "Alpha beta.")
    unknown = Quote("zzz", 0, 5, "Alpha")
    outside = Quote("b", 5, 99, "text.")
    assert citation_validity([good], TEXTS) == 1.0
    assert citation_validity([good, shifted, unknown, outside], TEXTS) == 0.25
    assert citation_validity([], TEXTS) is None


def test_citation_precision_and_recall_use_overlap():
    gold = [Span("a", 0, 24), Span("b", 0, 11)]
    cites = [Span("a", 12, 24), Span("a", 30, 40), Span("b", 10, 11)]
    assert citation_precision(cites, gold) == pytest.approx(2 / 3)
    assert citation_recall(cites, gold) == 1.0
    assert citation_recall(cites[:1], gold) == 0.5


def test_citation_edge_cases():
    gold = [Span("a", 0, 10)]
    assert citation_precision([], gold) is None
    assert citation_recall([], gold) == 0.0
    assert citation_precision([Span("a", 0, 5)], []) is None
    assert citation_recall([Span("a", 0, 5)], []) is None
    # Touching spans share no character.
    assert citation_precision([Span("a", 10, 20)], gold) == 0.0


def test_citation_markers_and_stripping():
    assert citation_markers("One [1]. Two [2, 3]. Three [4-6].") == [1, 2, 3, 4, 5, 6]
    assert citation_markers("no markers") == []
    assert strip_citation_markers("One [1]. Two [2,3].") == "One . Two ."


def test_sentence_split_keeps_markers_with_their_sentence():
    answer = "The Act applies from 2026. [1] Providers must register [2]. The U.S. Congress noted it. [3]"
    assert split_sentences(answer) == [
        "The Act applies from 2026. [1]",
        "Providers must register [2].",
        "The U.S. Congress noted it. [3]",
    ]
    assert split_sentences("First line [1]\nSecond line") == ["First line [1]", "Second line"]
    # List numbers, captions and dotted abbreviations do not end a sentence.
    numbered = "1. The following practices shall be prohibited: [1] Fig. 4. Characteristics of AI. [2]"
    assert split_sentences(numbered) == ["1. The following practices shall be prohibited: [1]",
                                         "Fig. 4. Characteristics of AI. [2]"]
    assert split_sentences("Under 28 C.F.R. 0.50-51, agencies coordinate. [1]") == [
        "Under 28 C.F.R. 0.50-51, agencies coordinate. [1]"
    ]
    assert split_sentences("Authors: L. Floridi, J. Cowls and others wrote it. [1]") == [
        "Authors: L. Floridi, J. Cowls and others wrote it. [1]"
    ]
    # A short sentence that carries a marker stands alone.
    assert split_sentences("Yes. [1] It applies now. [2]") == ["Yes. [1]", "It applies now. [2]"]
    assert split_sentences("") == []


def test_cited_sentence_share():
    answer = "The first one is cited [1]. The second one is not. The third one is [2]. The fourth one is not."
    assert cited_sentence_share(answer) == 0.5
    assert cited_sentence_share("All cited [1]. Yes [2].") == 1.0
    assert cited_sentence_share("   ") is None
    note = "The passages do not state an amount for it; the closest they come is quoted below."
    assert cited_sentence_share(f"{note} Quoted sentence [1].") == 0.5
    assert cited_sentence_share(f"{note} Quoted sentence [1].", [note]) == 1.0


# ---------------------------------------------------------------- answers


def test_normalize_answer_is_squad_style():
    assert normalize_answer("The  Quick, brown FOX!") == "quick brown fox"
    assert normalize_answer("An apple a day") == "apple day"


def test_token_f1():
    # pred tokens: cat sat mat (3); ref tokens: cat sat on mat (4); common 3.
    assert token_f1("The cat sat on the mat", "the cat sat on the mat") == 1.0
    assert token_f1("cat sat mat", "cat sat on mat") == pytest.approx(2 * 1 * 0.75 / 1.75)
    assert token_f1("dog", "cat") == 0.0
    assert token_f1("", "") == 1.0
    assert token_f1("the", "cat") == 0.0  # only an article: empty after normalization


def test_token_f1_counts_repeated_tokens_once_each():
    # pred eu eu eu vs ref eu: one common token; precision 1/3, recall 1.
    assert token_f1("eu eu eu", "eu") == pytest.approx(2 * (1 / 3) * 1 / (1 / 3 + 1))


def test_embedding_similarity_with_a_fake_embedder():
    table = {"x": [1.0, 0.0], "y": [0.0, 2.0], "z": [3.0, 3.0]}

    def embed(texts: list[str]) -> list[list[float]]:
        return [table[t] for t in texts]

    assert embedding_similarity("x", "x", embed) == pytest.approx(1.0)
    assert embedding_similarity("x", "y", embed) == pytest.approx(0.0)
    assert embedding_similarity("x", "z", embed) == pytest.approx(1 / math.sqrt(2))
    assert embedding_similarity("", "z", embed) is None
    assert cosine([0.0, 0.0], [1.0, 1.0]) == 0.0


# ---------------------------------------------------------------- abstention


def test_abstention_scores():
    abstained = [True, True, False, False, True]
    answerable = [False, True, False, True, True]
    # abstained on 3, of which 1 unanswerable; 2 unanswerable, 1 caught; 3 answerable, 2 wrongly refused.
    assert abstention_scores(abstained, answerable) == {
        "abstention_precision": pytest.approx(1 / 3),
        "abstention_recall": 0.5,
        "false_abstention_rate": pytest.approx(2 / 3),
    }


def test_abstention_scores_edge_cases():
    assert abstention_scores([], []) == {
        "abstention_precision": None,
        "abstention_recall": None,
        "false_abstention_rate": None,
    }
    assert abstention_scores([False, False], [True, True]) == {
        "abstention_precision": None,
        "abstention_recall": None,
        "false_abstention_rate": 0.0,
    }
    with pytest.raises(ValueError):
        abstention_scores([True], [])


# ---------------------------------------------------------------- latency


def test_percentile_nearest_rank():
    values = [15, 20, 35, 40, 50]
    assert percentile(values, 50) == 35  # rank ceil(2.5) = 3
    assert percentile(values, 95) == 50  # rank ceil(4.75) = 5
    assert percentile(values, 100) == 50
    assert percentile([3, 1, 2, 4], 50) == 2  # rank 2 of sorted 1..4
    assert percentile([7], 95) == 7
    assert percentile([], 50) is None
    assert percentile(list(range(1, 101)), 95) == 95
    with pytest.raises(ValueError):
        percentile([1], 0)


def test_latency_summary():
    assert latency_summary([10.0, 30.0]) == {"p50_ms": 10.0, "p95_ms": 30.0, "mean_ms": 20.0, "max_ms": 30.0}
    assert latency_summary([]) == {"p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}


# ---------------------------------------------------------------- aggregation


def test_mean_skips_none():
    assert mean([1.0, None, 0.0]) == 0.5
    assert mean([None]) is None
    assert mean([]) is None


def test_average_by_category():
    results = [
        {"category": "factual", "recall@5": 1.0, "f1": 0.5},
        {"category": "factual", "recall@5": 0.0, "f1": None},
        {"category": "out_of_scope", "recall@5": None, "f1": None},
    ]
    assert average(results, ["recall@5", "f1"]) == {"recall@5": 0.5, "f1": 0.5}
    assert average_by_category(results, ["recall@5", "f1"]) == {
        "factual": {"n": 2.0, "recall@5": 0.5, "f1": 0.5},
        "out_of_scope": {"n": 1.0, "recall@5": None, "f1": None},
    }
    assert average_by_category([], ["f1"]) == {}


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("2 August 2026", True),  # case, spacing and punctuation aside
        ("EUR 35 000 000", True),
        ("Attorney General", True),
        ("2 August 2027", False),
        ("", False),
    ],
)
def test_value_found_compares_letters_and_digits(value, found):
    references = ["It applies from 2 August 2026.", "fines of up to EUR 35 000 000 or 7 %", "THE ATTORNEY GENERAL HAS"]
    assert value_found(value, references) is found
