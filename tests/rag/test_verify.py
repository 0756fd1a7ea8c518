"""Sentence verification of generated answers: pure functions, no model."""

from __future__ import annotations

import pytest

from rag.generation.verify import (
    Quantity,
    Source,
    coverage,
    dates,
    names,
    negated,
    parse_markers,
    quantities,
    references,
    split_sentences,
    verify,
    verify_sentence,
)

FINE = Source(
    "Infringements shall be subject to administrative fines of up to EUR 35 000 000 or, if the offender is an "
    "undertaking, up to 7 % of its total worldwide annual turnover for the preceding financial year.",
    "Regulation (EU) 2024/1689 (Artificial Intelligence Act) - Chapter XII > Article 99 > paragraph 3",
)
MUSK = Source(
    '"China is definitely interested in working in a cooperative international framework for AI regulation," Musk said.',
    "Musk says China is interested in a cooperative international framework on AI",
)
MEASURES = Source(
    "On Thursday, China issued a set of interim measures to manage the booming industry. The measures take effect "
    "on August 15, 2023 and do not apply to research that is not offered to the public.",
    "China Advocates for Global Cooperation on AI Regulations",
)
SOURCES = [FINE, MUSK, MEASURES]


# ---------------------------------------------------------------- splitting


def test_sentences_keep_the_markers_after_their_full_stop():
    reply = "Musk said China is interested. [2] Fines reach 7 % [1][3]. The measures took effect in August [3] Then more"
    assert split_sentences(reply) == [
        "Musk said China is interested. [2]",
        "Fines reach 7 % [1][3].",
        "The measures took effect in August [3]",
        "Then more",
    ]


def test_abbreviations_decimals_and_lists_do_not_split():
    reply = "- The U.S. delegation met in Art. 5 talks on 1.5 million units [1].\n2. Another point, e.g. this one [2]."
    assert split_sentences(reply) == [
        "The U.S. delegation met in Art. 5 talks on 1.5 million units [1].",
        "Another point, e.g. this one [2].",
    ]


def test_a_marker_mid_sentence_before_a_lowercase_word_does_not_end_it():
    assert split_sentences("China [2] and the EU [1] both act. Next [1].") == ["China [2] and the EU [1] both act.", "Next [1]."]


def test_an_unfinished_marker_stays_with_its_sentence():
    assert split_sentences("It applies. [") == ["It applies. ["]
    assert split_sentences("It applies. [1") == ["It applies. [1"]


@pytest.mark.parametrize(
    "sentence, body, numbers",
    [
        ("Fines apply [1].", "Fines apply.", [1]),
        ("Fines apply. [2][1][2]", "Fines apply.", [2, 1]),
        ("Fines apply [1, 3].", "Fines apply.", [1, 3]),
        ("Fines apply [1-3].", "Fines apply.", [1, 2, 3]),
        ("Fines [2] apply [1].", "Fines apply.", [2, 1]),
        ("Fines apply.", "Fines apply.", []),
    ],
)
def test_markers(sentence, body, numbers):
    assert parse_markers(sentence) == (body, numbers)


# ---------------------------------------------------------------- facts


def test_amounts_and_percentages_are_read_as_values_with_units():
    found = [q for q, _ in quantities("up to EUR 35 000 000 or 7 % of turnover; €35 million; 35 million euros; 7 percent")]
    assert found == [Quantity(35e6, "eur"), Quantity(7, "%"), Quantity(35e6, "eur"), Quantity(35e6, "eur"), Quantity(7, "%")]


def test_number_words_and_years():
    found = quantities("three years after 2023, twenty-five states, 1,200 firms")
    assert [(q.value, is_year) for q, is_year in found] == [(3, False), (2023, True), (25, False), (1200, False)]


def test_references_dates_negations():
    assert references("Article 50(4), Annex III and Sections 4.2") == {
        ("article", "50"), ("paragraph", "4"), ("annex", "iii"), ("section", "4.2")
    }
    assert dates("On Wednesday 14 July, providers may act; from May 2024") == {"wednesday", "july", "may"}
    assert negated("It does not apply") and negated("It doesn't apply") and negated("no provider may")
    assert not negated("Rule No. 5 applies") and not negated("Notably, nothingness aside, it applies")


def test_coverage_counts_content_words_by_stem():
    assert coverage("China is interested in cooperation", MUSK.text) == 1.0
    assert coverage("Brazil bans chatbots", MUSK.text) == 0.0
    assert coverage("is it", MUSK.text) == 1.0  # nothing to check


# ---------------------------------------------------------------- verdicts


def test_a_faithful_paraphrase_is_kept():
    verdict = verify_sentence("Fines can reach EUR 35 million or 7% of worldwide annual turnover [1].", SOURCES)
    assert verdict.kept, verdict
    assert verdict.cited == (1,)


def test_a_reference_from_the_section_path_is_supported():
    assert verify_sentence("Under Article 99(3), fines reach 7 % of annual turnover [1].", SOURCES).kept


@pytest.mark.parametrize(
    "sentence, reason",
    [
        ("Fines apply to undertakings.", "no_citation"),
        ("Fines apply to undertakings [4].", "citation_out_of_range"),
        ("Fines apply to undertakings [0].", "citation_out_of_range"),
        ("Under Article 5, fines reach 7 % of turnover [1].", "unsupported_reference"),
        ("Fines can reach EUR 40 million [1].", "unsupported_number"),
        ("Fines can reach 35 % of turnover [1].", "unsupported_number"),
        ("Fines can reach 9 % of turnover [1].", "unsupported_number"),
        ("Fines were set in 2021 for undertakings [1].", "unsupported_date"),
        ("The measures take effect on September 15, 2023 [3].", "unsupported_date"),
        ("Musk spoke on Friday about the framework [2].", "unsupported_date"),
        ("China is not interested in a cooperative framework for AI regulation [2].", "unsupported_negation"),
        ("Brazil bans chatbots and drones in schools [2].", "low_coverage"),
        ("Fines reach 7 % of turnover [2].", "unsupported_number"),  # true, but not in what it cites
    ],
)
def test_unsupported_sentences_are_dropped_with_their_reason(sentence, reason):
    verdict = verify_sentence(sentence, SOURCES)
    assert verdict.reason == reason, verdict
    assert verdict.detail


def test_a_negation_the_cited_evidence_holds_is_kept():
    assert verify_sentence("The measures do not apply to research not offered to the public [3].", SOURCES).kept


def test_a_number_supported_by_another_citation_of_the_same_sentence():
    assert verify_sentence("Fines reach 7 % of turnover, and the measures took effect in August 2023 [1][3].", SOURCES).kept


def test_verify_a_whole_reply():
    reply = (
        "China is definitely interested in a cooperative international framework for AI regulation [2]. "
        "Fines can reach EUR 50 million [1]. I hope this helps."
    )
    verdicts = verify(reply, SOURCES)
    assert [v.reason for v in verdicts] == [None, "unsupported_number", "no_citation"]


def test_the_coverage_threshold_is_a_parameter():
    sentence = "Musk said China wants a cooperative framework for regulating AI models [2]."
    loose, strict = verify_sentence(sentence, SOURCES, 0.5), verify_sentence(sentence, SOURCES, 0.95)
    assert loose.kept and strict.reason == "low_coverage"


def test_names_must_come_from_the_cited_evidence():
    assert names("SpaceX met the EU and Musk's team in the U.S. Congress") == {"spacex", "eu", "musk", "u", "s", "congress"}
    assert names('"China is interested," Musk said.') == {"musk"}
    verdict = verify_sentence("SpaceX is definitely interested in a cooperative international framework [2].", SOURCES)
    assert verdict.reason == "unsupported_name" and "spacex" in verdict.detail
    assert verify_sentence("Musk said China is interested in a cooperative framework for AI regulation [2].", SOURCES).kept
