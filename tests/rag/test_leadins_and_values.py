"""List items quoted with their lead-ins, fragments never quoted alone, and the value a question
asks for: pure functions over real document texts (the shared corpus) and small made-up ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.direct import asked_kind, counted, direct_answer, values_in
from rag.answering.leadins import marker_style, needs_lead_in, quote_spans
from rag.answering.sentences import says_something
from rag.loading import load_file
from rag.types import Citation


def corpus_text(shared_corpus: Path, relative: str) -> str:
    return load_file(shared_corpus / relative).text


def cited(text: str, sentence: str) -> list[str]:
    start = text.index(sentence)
    spans = quote_spans(text, start, start + len(sentence))
    assert spans is not None
    return [text[a:b] for a, b in spans]


def test_an_eu_list_item_is_quoted_from_its_lead_in(shared_corpus):
    text = corpus_text(shared_corpus, "eu/eu-ai-act-2024-1689.txt")
    item = "(b)\n\nthe list of prohibited practices set out in Article 5; and"
    quotes = cited(text, item)
    assert len(quotes) == 1  # close enough to its lead-in: one span over both
    assert quotes[0].startswith("11.   To guide the evaluations and reviews")
    assert quotes[0].endswith(item)
    assert "the inclusion of new systems in:" in quotes[0]


def test_an_item_far_below_its_lead_in_gets_two_citations():
    items = "\n".join(f"({chr(97 + i)}) the {i}th long item of this list, with enough words to fill a line;" for i in range(12))
    text = "Preamble sentence.\n\nThe provider shall:\n" + items + "\n(m) keep records of the above; and\n"
    quotes = cited(text, "(m) keep records of the above; and")
    assert quotes == ["The provider shall:", "(m) keep records of the above; and"]


def test_a_sibling_after_a_sub_list_does_not_take_the_sub_lists_lead_in():
    text = (
        "4.2.  Ensuring Safe and Reliable AI.\n"
        "(a)  Within 90 days, the Secretary shall require:\n"
        "(i)  companies developing models to provide the Government\n"
        "with information, reports, or records\n"
        "regarding the following:\n"
        "(A)  any ongoing or planned activities related to training;\n"
        "(B)  the ownership and possession of the model weights; and\n"
        "(ii)  companies that acquire large computing clusters to report them.\n"
        "(b)  The Secretary of Commerce shall define the technical conditions for models.\n"
    )
    assert cited(text, "(b)  The Secretary of Commerce shall define the technical conditions for models.") == [
        "(b)  The Secretary of Commerce shall define the technical conditions for models."]
    assert cited(text, "(B)  the ownership and possession of the model weights; and")[0].startswith("regarding the following:")


def test_a_bulleted_item_finds_a_lead_in_on_an_item_line(shared_corpus):
    text = corpus_text(shared_corpus, "us-states/colorado-ai-act-sb24-205.md")
    quotes = cited(text, "(b) EMPLOYMENT OR AN EMPLOYMENT OPPORTUNITY;")
    assert len(quotes) == 1
    assert '"CONSEQUENTIAL DECISION" MEANS' in quotes[0] and quotes[0].endswith("EMPLOYMENT OPPORTUNITY;")


def test_a_lead_in_quoted_alone_takes_its_first_items(shared_corpus):
    text = corpus_text(shared_corpus, "us-states/california-sb53-transparency-frontier-ai-act-2025.txt")
    lead = "(d) “Critical safety incident” means any of the following:"
    quote = cited(text, lead)[0]
    assert quote.startswith(lead)
    assert "(1) Unauthorized access to, modification of, or exfiltration of, the model weights" in quote
    assert len(quote) <= len(lead) + 500 + 200  # the items that fit, whole lines only


def test_an_item_with_no_lead_in_that_says_nothing_alone_is_not_quoted():
    text = "Some heading\n\n(c) the list of AI systems requiring additional transparency measures; and\n"
    start = text.index("(c)")
    assert quote_spans(text, start, len(text) - 1) is None


def test_numbered_paragraphs_and_plain_sentences_stand_alone(shared_corpus):
    text = corpus_text(shared_corpus, "eu/eu-ai-act-2024-1689.txt")
    sentence = "Article 6(1) and the corresponding obligations in this Regulation shall apply from 2 August 2027."
    assert cited(text, sentence) == [sentence]
    paragraph = text[text.index("13.   By 2 August 2031, the Commission"):]
    paragraph = paragraph[: paragraph.index("\n")]
    assert cited(text, paragraph) == [paragraph]


@pytest.mark.parametrize(
    ("text", "alone"),
    [
        ("Article 113 Entry into force and application", False),
        ("See Article 5(1), point (a), of Regulation (EU) 2019/1020.", False),
        ("20  Haiying Guan, James Horan, and Andrew Zhang, “Guardians of Forensic Evidence: Evaluating Analytic "
         "Systems Against AI-Generated Deepfakes,” (Gaithersburg, 2024)", False),
        ("See https://www.nist.gov/itl/ai-risk-management-framework and https://airc.nist.gov/.", False),
        ("Deployers shall inform the natural persons concerned that they are subject to such a system.", True),
        ("The Commission shall evaluate the need for amendment of the list in Annex III once a year.", True),
    ],
)
def test_headings_and_bare_references_say_nothing_alone(text, alone):
    assert says_something(text) is alone


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When do the high-risk rules of the AI Act apply?", "date"),
        ("From what date must Colorado deployers act?", "date"),
        ("how much can a company be fined for using a banned AI practice", "amount"),
        ("What is the maximum fine under SB 53?", "amount"),
        ("How many days does a developer have to report an incident?", "number"),
        ("What compute threshold makes a model a frontier model?", "threshold"),
        ("Who enforces the Colorado AI Act?", "body"),
        ("Which authority approved China's interim measures?", "body"),
        ("Who counts as a deployer under Colorado's law?", None),
        ("Does the AI Act say when it applies?", None),
        ("What does the AI Act prohibit?", None),
    ],
)
def test_the_kind_of_value_a_question_asks_for(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize(
    ("kind", "text", "values"),
    [
        ("date", "It shall apply from 2 August 2026, see Regulation (EU) 2024/1689.", ["2 August 2026"]),
        ("date", "ON AND AFTER FEBRUARY 1, 2026, A DEPLOYER SHALL USE REASONABLE CARE", ["FEBRUARY 1, 2026"]),
        ("amount", "fines of up to EUR 35 000 000 or, if the offender is an undertaking, up to 7 % of its turnover",
         ["EUR 35 000 000", "7 %"]),
        ("amount", "a civil penalty that does not exceed one million dollars ($1,000,000) per violation", ["$1,000,000"]),
        ("threshold", "measured in floating point operations is greater than 1025.", ["1025"]),
        ("threshold", "power greater than 10<sup>26</sup> integer or floating-point operations", ["10<sup>26</sup>"]),
        ("number", "Pursuant to Article 5, the WAIC event, which spans three days, opened.", ["three"]),
        ("body", "THE ATTORNEY GENERAL HAS EXCLUSIVE AUTHORITY TO ENFORCE THIS PART 17.", ["ATTORNEY GENERAL"]),
        ("body", "At the opening, UN Secretary-General Antonio Guterres spoke.", ["UN Secretary-General"]),
        ("body", "Where the Commission so decides, it shall entrust the tasks to the AI Office.", ["Commission", "AI Office"]),
    ],
)
def test_values_are_found_as_written(kind, text, values):
    assert [text[a:b] for a, b in values_in(kind, text)] == values


def citation(n: int, quote: str) -> Citation:
    return Citation(n=n, document_id="d", title="t", section=None, page=None, start=0, end=len(quote), quote=quote, score=1.0)


def test_direct_answer_needs_exactly_one_value_in_the_first_span_stating_any():
    one = citation(1, "Chapters I and II shall apply from 2 February 2025;")
    two = citation(2, "It shall apply from 2 August 2026, and Article 6(1) from 2 August 2027.")
    plain = citation(3, "This Regulation lays down harmonised rules on artificial intelligence.")
    found = direct_answer("date", [plain, one, two])
    assert found is not None and found.text == "2 February 2025" and found.citation is one
    assert direct_answer("date", [two, one]) is None  # the leading span states two dates: no single answer
    assert direct_answer("date", [plain]) is None
    assert direct_answer(None, [one]) is None
    repeated = citation(4, "The Commission shall consult; the Commission shall then decide.")
    assert direct_answer("body", [repeated]).text == "Commission"  # one body named twice is one value


def test_a_definition_far_below_the_lead_in_is_quoted_alone(shared_corpus):
    text = corpus_text(shared_corpus, "eu/eu-ai-act-2024-1689.txt")
    for opening in ("(39)\n\n‘emotion recognition system’ means", "(60)\n\n‘deep fake’ means"):
        start = text.index(opening)
        end = text.index(";", start) + 1
        # alone: not with "(49) ‘serious incident’ means ... any of the following:" taken for its lead-in
        assert quote_spans(text, start, end) == [(start, end)]


def test_an_item_behind_an_escaped_marker_is_quoted(shared_corpus):
    text = corpus_text(shared_corpus, "us/us-eo-14141-ai-infrastructure-2025.md")
    start = text.index("\\(e\\) \xa0By March 31, 2025")
    end = text.index(".", text.index("competitive public solicitations", start)) + 1
    assert marker_style(text[start:start + 12]) == "(lower)"
    spans = quote_spans(text, start, end)
    assert spans is not None and spans[-1] == (start, end)


@pytest.mark.parametrize(
    ("item", "needs"),
    [
        ("(b) the list of prohibited practices set out in Article 5; and", True),
        ("(b) EMPLOYMENT OR AN EMPLOYMENT OPPORTUNITY;", True),
        ("(39) ‘emotion recognition system’ means an AI system for identifying emotions;", False),
        ('- (10) (a) "INTENTIONAL AND SUBSTANTIAL MODIFICATION" MEANS A DELIBERATE CHANGE;', False),
        ("\\(c\\) \xa0The term “LLM” means a large language model;", False),
        ("(b) Executive departments and agencies shall assess their discretionary grant programs; and", False),
        ("(3) A DEVELOPER SHALL DISCLOSE THE KNOWN RISKS;", False),
    ],
)
def test_which_items_need_a_lead_in(item, needs):
    assert needs_lead_in(item) is needs


def test_a_footnote_defining_a_term_says_something():
    assert says_something('3 "Algorithmic monocultures" refers to the phenomenon in which repeated use of one model')
    assert not says_something("20  Haiying Guan, James Horan, “Guardians of Forensic Evidence” (2023)")


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("When is a change to an AI system a 'substantial modification' under the AI Act?", None),
        ("Under the permitting order, when is federal funding presumed not to make a project federal?", None),
        ("When does a system count as high-risk in Colorado?", None),
        ("When does the AI Act apply?", "date"),
    ],
)
def test_a_when_question_asking_a_condition_asks_no_date(question, kind):
    assert asked_kind(question) == kind


def test_a_year_inside_a_name_is_no_date():
    text = "The UK GDPR and the Data Protection Act 2018 regulate it; the plan runs from 1 January 2020."
    assert [text[a:b] for a, b in values_in("date", text)] == ["1 January 2020"]


def test_a_how_many_answer_reads_the_number_counting_what_is_asked():
    question = "How many written responses did the UK white paper consultation get?"
    assert counted(question) == "responses"
    assert counted("How many frontier AI models was the institute to test?") == "models"
    held = "We held a formal \n12-week public consultation that closed on 21 June 2023."
    received = "95. In total, we received 409 written consultation responses from organisations and \nindividuals."
    assert direct_answer("number", [citation(1, held)], question) is None  # 12 counts weeks, not responses
    found = direct_answer("number", [citation(1, held), citation(2, received)], question)
    assert found is not None and found.text == "409" and found.citation.n == 2


def test_term_overlap_reads_a_word_pair_as_one_word():
    from rag.answering.extractive import ExtractiveAnswerer

    class NoStatistics:
        def document_frequencies(self, terms: list[str]) -> dict[str, int]:
            return dict.fromkeys(terms, 1)

        def counts(self) -> dict[str, int]:
            return {"chunks": 10}

    answerer = ExtractiveAnswerer(NoStatistics(), lambda word: False)
    weights = {"deepfake": 1.0, "disclose": 1.0}
    assert answerer.overlap(weights, "content constituting a deep fake shall disclose that") == 1.0
    assert answerer.overlap({"startups": 1.0}, "SMEs, including start-ups, shall") == 1.0
    assert answerer.overlap(weights, "deployers shall disclose that") == 0.5
