"""The regression gate over a fast subset of the corpus set, as CI runs it."""

from __future__ import annotations

import pytest

from rag.cli import main


@pytest.mark.slow
def test_corpus_fast_subset_passes_the_stored_thresholds(corpus_pipeline, tmp_path, capsys):
    root = tmp_path / "root"
    (root / "eval").mkdir(parents=True)
    # the evaluation's stores live in <data-dir>/eval/<dataset>: reuse the session's ingested corpus
    (root / "eval" / "corpus").symlink_to(corpus_pipeline.data_dir, target_is_directory=True)
    code = main([
        "--data-dir", str(root), "eval", "--dataset", "corpus", "--subset", "fast", "--no-baselines",
        "--out", str(tmp_path / "report"), "--gate", "--quiet",
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "gate: passed (corpus-fast)" in printed
    assert (tmp_path / "report" / "report.md").is_file()
