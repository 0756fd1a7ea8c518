"""Loading every format, ids, titles and metadata, and clear errors for bad files."""

from __future__ import annotations

import json
import unicodedata

import pytest

from rag.errors import CorruptDocument, EmptyDocument, UnsupportedFormat
from rag.loading import discover, document_id, load_bytes, load_file
from rag.normalize import normalize_text
from tests.helpers import make_pdf


def test_text_file_is_normalized_once(tmp_path):
    raw = "Title line\r\n\r\nCafe\u0301 rules apply.\r\nSecond line.\r\n"
    path = tmp_path / "note.txt"
    path.write_bytes(raw.encode("utf-8"))
    doc = load_file(path, tmp_path)
    assert doc.text == unicodedata.normalize("NFC", "Title line\n\nCafe\u0301 rules apply.\nSecond line.")
    assert "\r" not in doc.text
    assert doc.title == "Title line"
    assert doc.id == "note.txt"


def test_markdown_front_matter_is_metadata_not_text(tmp_path):
    path = tmp_path / "order.md"
    path.write_text("---\ntitle: An Order\ndate: 2025-01-23\ntags: actions\n---\n\n# Heading\n\nSec. 1. Purpose. Text here.\n")
    doc = load_file(path, tmp_path)
    assert doc.title == "An Order"
    assert doc.metadata["date"] == "2025-01-23"
    assert doc.metadata["tags"] == "actions"
    assert "title:" not in doc.text and doc.text.startswith("# Heading")


def test_markdown_title_falls_back_to_first_heading_then_file_name(tmp_path):
    (tmp_path / "a.md").write_text("Intro line.\n\n# The Real Heading\n\nBody.")
    (tmp_path / "plain-notes.md").write_text("just body text, no heading.")
    assert load_file(tmp_path / "a.md", tmp_path).title == "The Real Heading"
    assert load_file(tmp_path / "plain-notes.md", tmp_path).title == "plain notes"


def test_html_keeps_page_text_and_drops_scripts_and_navigation(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Policy Page</title><script>var x = 'SECRET';</script><style>p{}</style></head>"
        "<body><nav>Home | About</nav><h1>AI Rules</h1><p>Providers must <b>label</b> content.</p>"
        "<footer>Copyright</footer></body></html>"
    )
    doc = load_file(path, tmp_path)
    assert doc.title == "Policy Page"
    assert "Providers must label content." in doc.text
    assert "# AI Rules" in doc.text
    for hidden in ("SECRET", "Home | About", "Copyright", "p{}"):
        assert hidden not in doc.text


def test_pdf_keeps_pages_and_joins_hyphenated_words(tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(make_pdf([["Providers shall keep regu-", "lation records."], ["Second page on high-", "risk systems."]]))
    doc = load_file(path, tmp_path)
    assert "regulation records." in doc.text
    assert "high-risk systems." in doc.text  # a prefix that keeps its hyphen
    assert [p.page for p in doc.pages] == [1, 2]
    second = doc.text.index("Second page")
    assert doc.page_at(second) == 2 and doc.page_at(0) == 1


def test_catalog_and_sidecar_metadata(tmp_path):
    (tmp_path / "eu").mkdir()
    (tmp_path / "eu" / "act.txt").write_text("Some law text.\n")
    (tmp_path / "catalog.json").write_text(json.dumps({"documents": {"eu/act.txt": {"title": "The Act", "jurisdiction": "eu"}}}))
    (tmp_path / "eu" / "act.txt.meta.json").write_text(json.dumps({"doc_type": "law"}))
    doc = load_file(tmp_path / "eu" / "act.txt")  # the root is found by its catalog.json
    assert doc.id == "eu__act.txt"
    assert doc.title == "The Act"
    assert doc.metadata == {"jurisdiction": "eu", "doc_type": "law"}


def test_ids_are_stable_url_safe_and_unique_across_folders():
    assert document_id("eu/act.txt") == "eu__act.txt" == document_id("eu/act.txt")
    assert document_id("a/b.txt") != document_id("a_b.txt") != document_id("a__b.txt")
    odd = document_id("folder with spaces/Ünïcode?.md")
    assert all(c.isalnum() and c.isascii() or c in "-_." for c in odd)
    assert document_id("x/y z.md") != document_id("x/y-z.md")
    assert document_id("a__b/c.txt") != document_id("a/b__c.txt")


def test_discover_walks_folders_and_skips_hidden_and_unsupported(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.md").write_text("# A")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "catalog.json").write_text("{}")
    found = [p.name for p, _ in discover([tmp_path])]
    assert found == ["a.md"]


@pytest.mark.parametrize(
    ("name", "data", "error", "words"),
    [
        ("sheet.xlsx", b"PK\x03\x04", UnsupportedFormat, "unsupported file type"),
        ("empty.txt", b"", EmptyDocument, "empty"),
        ("blank.md", b"   \n\n  ", EmptyDocument, "empty"),
        ("broken.pdf", b"%PDF-1.4 garbage that is not a pdf", CorruptDocument, "not a readable PDF"),
        ("fake.pdf", b"hello, I am text", CorruptDocument, "not a PDF"),
        ("binary.txt", b"\x00\x01\x02\x03abc", CorruptDocument, "binary"),
    ],
)
def test_bad_files_raise_clear_errors_naming_the_file(name, data, error, words):
    with pytest.raises(error) as caught:
        load_bytes(data, name=name)
    assert name in caught.value.message and words in caught.value.message


def test_undecodable_text_is_reported():
    with pytest.raises(CorruptDocument, match="undecodable|UTF-8"):
        load_bytes(bytes(range(128, 256)) * 20, name="latin.txt")


def test_normalize_text_line_endings_soft_hyphens_and_nfc():
    assert normalize_text("a\r\nb\rc\u00ad d\ufeff") == "a\nb\nc d"
    assert normalize_text("e\u0301") == "\u00e9"
