"""Settings: nested tuning groups, the older flat names, the hash reports carry, sweeping by name."""

from __future__ import annotations

import hashlib

import pytest
from pydantic import ValidationError

from rag.config import CHUNKER_VERSION, DEFAULT_MODEL, Settings, settings_hash, with_setting


def test_nested_environment_names_set_group_values(monkeypatch):
    monkeypatch.setenv("RAG_RETRIEVAL__RRF_K", "30")
    monkeypatch.setenv("RAG_ANSWERING__UNSEEN_PENALTY", "0.25")
    settings = Settings()
    assert settings.retrieval.rrf_k == 30 and settings.answering.unseen_penalty == 0.25
    assert settings.retrieval.candidates == 40  # the rest of the group keeps its defaults


def test_flat_names_documented_earlier_still_work_and_nested_ones_win(monkeypatch):
    monkeypatch.setenv("RAG_CANDIDATES", "50")
    monkeypatch.setenv("RAG_CHUNK_MAX_CHARS", "800")
    monkeypatch.setenv("RAG_ANSWER_MAX_SENTENCES", "2")
    monkeypatch.setenv("RAG_ABSTAIN_THRESHOLD", "0.4")
    settings = Settings()
    assert (settings.retrieval.candidates, settings.chunking.max_chars) == (50, 800)
    assert (settings.answering.max_sentences, settings.answering.abstain_threshold) == (2, 0.4)
    monkeypatch.setenv("RAG_RETRIEVAL__CANDIDATES", "60")
    assert Settings().retrieval.candidates == 60
    monkeypatch.setenv("RAG_ABSTAIN_THRESHOLD", "0")  # meant "the calibrated value" under the flat name
    assert Settings().answering.abstain_threshold == Settings.model_fields["answering"].default_factory().abstain_threshold


def test_bad_group_values_are_refused(monkeypatch):
    monkeypatch.setenv("RAG_RETRIEVAL__RRF_K", "0")
    with pytest.raises(ValidationError):
        Settings()


def test_the_index_name_of_default_settings_is_unchanged():
    """Indexes built before the settings had groups stay usable without `rag reindex`."""
    digest = hashlib.sha256(f"{DEFAULT_MODEL}|1000|{CHUNKER_VERSION}".encode()).hexdigest()[:8]
    assert Settings().index_name() == f"chunks-all-minilm-l6-v2-c1000-v{CHUNKER_VERSION}-{digest}"
    assert with_setting(Settings(), "chunking.tail_merge", 0.2).index_name() != Settings().index_name()
    assert with_setting(Settings(), "answering.min_sentence_chars", 30).index_name() != Settings().index_name()
    assert with_setting(Settings(), "answering.unseen_penalty", 0.2).index_name() == Settings().index_name()


def test_the_settings_hash_follows_tuning_values_only(tmp_path):
    base = Settings()
    assert settings_hash(base) == settings_hash(Settings(data_dir=tmp_path, port=9999))
    assert settings_hash(base) != settings_hash(with_setting(base, "retrieval.operative_boost", 1.5))
    assert settings_hash(base) != settings_hash(with_setting(base, "ask_top_k", 5))


def test_with_setting_validates_and_names_must_exist():
    changed = with_setting(Settings(), "answering.unseen_penalty", "0.7")
    assert changed.answering.unseen_penalty == 0.7
    with pytest.raises(ValueError, match="no setting"):
        with_setting(Settings(), "answering.no_such_value", 1)
    with pytest.raises(ValidationError):
        with_setting(Settings(), "retrieval.candidates", 1)
